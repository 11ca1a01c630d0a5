/** Address helpers: hashing IPv6 addresses for table keys and formatting for reports. */

/**
 * A signed 32-bit key for hash tables from the 16 bytes of an IPv6
 * address: MurmurHash3's x86_32 block step over the four 32-bit words and
 * its finaliser (Appleby, public domain; written here), seeded with `key`.
 * Four multiply chains instead of FNV-1a's sixteen byte steps: it runs
 * twice for every IPv6 packet.
 *
 * The key is the engine's random table key (Engine.hashSeed): the hash is
 * an IPv6 source's identity in every table, so with a fixed key anyone
 * could compute an address that collides with a victim's and have their
 * scan reported under the victim's name. Keyed, the attacker cannot
 * compute collisions without the key, which never leaves the process.
 */
export function hashIpv6(buf: Buffer, off: number, key: number): number {
  let h = key | 0;
  for (let i = off; i < off + 16; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Dotted quad from a 32-bit address, signed or unsigned. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Lowercase hex of the 16 bytes: the stable map key of an IPv6 host. */
export function ipv6Key(buf: Buffer, off: number): string {
  return buf.toString('hex', off, off + 16);
}

/**
 * RFC 5952 text form from the 32-hex-digit key: lowercase, leading zeros
 * dropped, the longest run of two or more zero groups (the first, on a tie)
 * shortened to "::", and IPv4-mapped addresses in dotted form (section 5).
 */
export function formatIpv6Key(hex: string): string {
  const groups: number[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  const head = text.slice(0, bestStart).join(':');
  const tail = text.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Host keys are IPv4 numbers or IPv6 hex strings; this turns either into report text. */
export function formatHostKey(key: number | string): string {
  return typeof key === 'number' ? formatIpv4(key) : formatIpv6Key(key);
}

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}
