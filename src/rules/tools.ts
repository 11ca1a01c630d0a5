/** Scanning tools a probe's packet template can name (see fingerprint.ts). */
export const Tool = { NONE: 0, NMAP: 1, MASSCAN: 2, ZMAP: 3, HPING3: 4 } as const;
export const TOOL_NAMES = [null, 'nmap', 'masscan', 'zmap', 'hping3'] as const;
export const TOOL_COUNT = 5;
