// Byte-wise reads: Node's Buffer#readUInt16BE and friends validate their
// offset on every call, which on the packet path costs more than the read.
// Every layer checks its lengths before it reads.

export function u16(buf: Buffer, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}

/** Big-endian 32 bits as a signed integer (IPv4 addresses are kept this way: V8 never boxes them). */
export function i32(buf: Buffer, o: number): number {
  return (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
}

export function u32(buf: Buffer, o: number): number {
  return i32(buf, o) >>> 0;
}

export function u32le(buf: Buffer, o: number): number {
  return ((buf[o + 3]! << 24) | (buf[o + 2]! << 16) | (buf[o + 1]! << 8) | buf[o]!) >>> 0;
}

/** Big-endian 24 bits (VXLAN and Geneve VNIs, MPLS labels before the shift). */
export function u24(buf: Buffer, o: number): number {
  return (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!;
}
