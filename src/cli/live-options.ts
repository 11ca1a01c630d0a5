/**
 * Checks of `live` options that are usage errors (exit 2) rather than
 * failures of the capture (exit 1): a name that cannot be an interface, a
 * ring size libpcap cannot take.
 */

/**
 * Why `name` cannot be a Linux interface name, or null. The kernel's
 * dev_valid_name(): 1 to 15 bytes (IFNAMSIZ 16 with the NUL), not "." or
 * "..", no "/", ":" or white space. ("any" is libpcap's pseudo-device.)
 */
export function interfaceNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'an interface name is required (e.g. --interface eth1)';
  if (Buffer.byteLength(name) > 15) return `${JSON.stringify(name.slice(0, 40))} is not an interface name (at most 15 bytes)`;
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) return `${JSON.stringify(name)} is not an interface name`;
  return null;
}

/** libpcap's pcap_set_buffer_size() takes a C int: at most 2^31 - 1 bytes. */
export const MAX_BUFFER_BYTES = 2 ** 31 - 1;
/** Below one 64 KiB frame slot the ring cannot hold a single packet. */
export const MIN_BUFFER_BYTES = 64 * 1024;

export function bufferSizeProblem(bytes: number): string | null {
  if (!Number.isSafeInteger(bytes) || bytes < MIN_BUFFER_BYTES || bytes > MAX_BUFFER_BYTES) {
    return `${bytes} bytes is out of range: use 64KiB to 2047MiB (libpcap takes the size as a C int)`;
  }
  return null;
}
