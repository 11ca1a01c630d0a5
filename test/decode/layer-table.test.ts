/**
 * The layer table is the one place that says which layer decodes what: every
 * layer id has a function, every key a registered layer, and the shortcuts the
 * hot path takes (a literal switch in Decoder.dispatch, direct calls for
 * Ethernet -> IPv4 -> TCP/UDP) agree with the table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Layer, LAYER_COUNT } from '../../src/decode/layer.js';
import { DEFAULT_TABLES, ETHER_TYPES, GENEVE_PORT, IP_PROTOCOLS, LAYERS, LINK_TYPES, TUNNEL_TYPES, UDP_TUNNELS, VXLAN_PORT, udpPortTable } from '../../src/decode/layer-table.js';
import { OPTION_BY_NAME } from '../../src/cli/options.js';
import { Decoder } from '../../src/decode/decoder.js';

describe('layer table', () => {
  it('every layer id names a distinct registered function', () => {
    const ids = Object.values(Layer);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBe(LAYER_COUNT - 1);
    const fns = ids.map((id) => LAYERS[id]);
    for (const [i, fn] of fns.entries()) expect(typeof fn, Object.keys(Layer)[i]).toBe('function');
    expect(new Set(fns).size).toBe(ids.length);
  });

  it('every key table entry names a layer; the shared tables hold exactly the registrations', () => {
    const check = (pairs: readonly (readonly [number, number])[], table: Uint8Array): void => {
      let n = 0;
      for (const v of table) if (v !== 0) n++;
      expect(n).toBe(new Set(pairs.map(([k]) => k)).size);
      for (const [k, v] of pairs) {
        expect(table[k]).toBe(v);
        expect(Object.values(Layer)).toContain(v);
      }
    };
    check(ETHER_TYPES, DEFAULT_TABLES.etherTypes);
    check(IP_PROTOCOLS, DEFAULT_TABLES.ipProtocols);
    check(LINK_TYPES, DEFAULT_TABLES.linkTypes);
    check(TUNNEL_TYPES, DEFAULT_TABLES.tunnelTypes);
    expect(DEFAULT_TABLES.udpPorts[VXLAN_PORT]).toBe(Layer.VXLAN);
    expect(DEFAULT_TABLES.udpPorts[GENEVE_PORT]).toBe(Layer.GENEVE);
  });

  it('the hot-path shortcuts agree with the table', () => {
    expect(DEFAULT_TABLES.linkTypes[1]).toBe(Layer.ETHERNET);
    expect(DEFAULT_TABLES.etherTypes[0x0800]).toBe(Layer.IPV4);
    expect(DEFAULT_TABLES.etherTypes[0x86dd]).toBe(Layer.IPV6);
    expect(DEFAULT_TABLES.ipProtocols[6]).toBe(Layer.TCP);
    expect(DEFAULT_TABLES.ipProtocols[17]).toBe(Layer.UDP);
    // Decoder.dispatch's literal cases, read from its source: each "case N: // Layer.NAME" must hold.
    const src = fs.readFileSync(path.resolve(import.meta.dirname, '../../src/decode/decoder.ts'), 'utf8');
    const cases = [...src.matchAll(/case (\d+): \/\/ Layer\.([A-Z0-9_]+)/g)];
    expect(cases.length).toBeGreaterThan(5);
    for (const [, num, name] of cases) expect(Layer[name as keyof typeof Layer], name).toBe(Number(num));
  });

  it('decoders with the default ports share the table; other ports get their own', () => {
    expect(new Decoder().udpPorts).toBe(DEFAULT_TABLES.udpPorts);
    expect(new Decoder({ udpTunnelPorts: { vxlan: [4789] } }).udpPorts).toBe(DEFAULT_TABLES.udpPorts);
    const custom = new Decoder({ udpTunnelPorts: { vxlan: [8472], geneve: [6081] } });
    expect(custom.udpPorts).not.toBe(DEFAULT_TABLES.udpPorts);
    expect(custom.udpPorts[8472]).toBe(Layer.VXLAN);
    expect(custom.udpPorts[4789]).toBe(0);
    expect(udpPortTable({ vxlan: [1], geneve: [2] })[2]).toBe(Layer.GENEVE);
  });

  it('each UDP tunnel of the table is decoded on its IANA port by default and has its --<name>-port option, with that default', () => {
    expect(new Set(UDP_TUNNELS.map((t) => t.port)).size).toBe(UDP_TUNNELS.length);
    for (const t of UDP_TUNNELS) {
      expect(DEFAULT_TABLES.udpPorts[t.port], t.name).toBe(t.layer);
      const option = OPTION_BY_NAME.get(`${t.name}-port`);
      expect(option, `--${t.name}-port`).toBeDefined();
      expect(option!.default).toBe(t.port);
      expect(udpPortTable({ [t.name]: [40000] })[40000]).toBe(t.layer);
      expect(udpPortTable({ [t.name]: [40000] })[t.port]).toBe(0);
    }
  });
});
