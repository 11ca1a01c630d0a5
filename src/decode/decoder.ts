import { DecodeError, DECODE_ERROR_NAMES } from './errors.js';
import { ACCEPT, type LayerFn } from './layer.js';
import { LAYERS, DEFAULT_TABLES } from './layer-table.js';
import { L3, Packet } from './packet.js';

/** Layers one frame may stack before we call it malformed (a loop guard; real frames use under ten). */
export const MAX_LAYERS = 24;

/**
 * Decodes frames into the reused `packet`, defensively: every length is
 * checked against what was captured, and a frame that does not parse is
 * counted under a reason and dropped. Nothing here throws or allocates.
 *
 * The decoder is a table of layers (layer-table.ts): each layer decodes its
 * header and names the next layer by looking its payload's key up in one of
 * the tables below (EtherType, IP protocol, ...), so the dispatch is data,
 * not code.
 */
export class Decoder {
  readonly packet = new Packet();
  /** Frames that failed to decode, indexed by DecodeError. */
  readonly errors = new Float64Array(DECODE_ERROR_NAMES.length);
  /** Frames that decoded but carry a protocol we do not analyse (LLDP, STP, IPX...). */
  otherProtocol = 0;

  // Next-layer tables: key -> layer id (0: none), see layer-table.ts.
  readonly linkTypes: Uint8Array = DEFAULT_TABLES.linkTypes;
  readonly etherTypes: Uint8Array = DEFAULT_TABLES.etherTypes;
  readonly ipProtocols: Uint8Array = DEFAULT_TABLES.ipProtocols;

  // Per-frame cursor and state, written by the layers.
  /** Where the next layer's header starts, and where the current payload ends. */
  pos = 0;
  end = 0;
  /** Next-header value carried from the IPv6 fixed header into its extension chain. */
  nextHeader = 0;
  vlanTags = 0;

  private readonly layers: readonly LayerFn[] = LAYERS;

  /** Returns true when `packet` holds an IPv4, IPv6 or ARP packet worth analysing. */
  decode(linkType: number, buf: Buffer, off: number, capLen: number): boolean {
    const p = this.packet;
    p.buf = buf;
    p.l3 = L3.NONE;
    p.l2Broadcast = false;
    p.vlan = -1;
    p.hasL4 = false;
    p.proto = -1;
    p.quotedValid = false;
    this.vlanTags = 0;
    let layer = linkType >= 0 && linkType < this.linkTypes.length ? this.linkTypes[linkType]! : 0;
    if (layer === 0) {
      this.errors[DecodeError.UNSUPPORTED_LINKTYPE]!++;
      return false;
    }
    this.pos = off;
    this.end = off + capLen;
    const layers = this.layers;
    for (let n = 0; layer > 0; n++) {
      if (n === MAX_LAYERS) {
        this.errors[DecodeError.TOO_MANY_LAYERS]!++;
        return false;
      }
      // p.buf, not buf: a reassembled datagram continues in the reassembly buffer.
      layer = layers[layer]!(this, p.buf, this.pos, this.end);
    }
    return layer === ACCEPT;
  }

  /** Counts a frame that could not be decoded; returns REJECT for the layer to pass on. */
  fail(reason: number): -1 {
    this.errors[reason]!++;
    return -1;
  }
}
