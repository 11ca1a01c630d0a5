/**
 * Text shared by `--help` and the man page (dist/scanwatch.1 is built from
 * the same strings by build-man.ts), so the two cannot drift apart.
 */

export const EXAMPLES: [string, string][] = [
  ['scanwatch analyze capture.pcap', 'table of the scans in one capture'],
  ['scanwatch analyze *.pcap --format json > report.json', 'each file its own capture; every detection names its file'],
  ['scanwatch analyze --merge ring-*.pcap', 'rotated captures of one link read as one stream in time order'],
  ['scanwatch analyze x.pcapng --home-net 10.0.0.0/8,192.168.0.0/16', 'direction, severity and ATT&CK seen from your networks'],
  ['scanwatch analyze x.pcap --format html > report.html', 'one self-contained page with plots'],
  ['scanwatch analyze x.pcap --extract scans/', 'each scan\'s probes and answers as scans/<id>-<src>-<type>.pcap'],
  ['tcpdump -w - -i eth0 | scanwatch analyze - --format ndjson', 'read standard input'],
  ['scanwatch live -i eth1 --home-net 10.0.0.0/8', 'the sensor: JSON log lines and /metrics'],
  ['scanwatch completion >> ~/.bashrc', 'shell completion (bash; zsh with bashcompinit)'],
];

export const EXIT_CODES: [string, string][] = [
  ['0', 'done (also when the reader of standard output stopped early, e.g. a pipe to head)'],
  ['1', 'an input could not be opened or is not a capture (no report); or an internal error (a bug; SCANWATCH_DEBUG=1 shows the trace)'],
  ['2', 'bad usage (unknown option, bad value)'],
  ['3', 'report complete for what could be read, but an input was truncated or corrupt'],
  ['74', 'an output could not be written (the report, an --extract file: disk full, I/O error); one line on stderr says which and why'],
  ['130', 'interrupted by SIGINT (Ctrl-C): the report of what was read was printed (marked "partial": true when reading was cut short); no --extract file is left half-written'],
];

export const ENVIRONMENT: [string, string][] = [
  ['SCANWATCH_<OPTION>', 'live only: any option of `scanwatch live`, e.g. SCANWATCH_INTERFACE, SCANWATCH_HOME_NET (comma-separated); analyze ignores them. "thresholds" only in the --config file'],
  ['SCANWATCH_DEBUG', 'set to 1: print the stack trace of an internal error'],
];

/** Lists that take several values: repeat the option or separate values with commas. */
export const LIST_NOTE = 'Options taking a list (CIDRs, ports) accept a comma-separated list or may be repeated; they may come before or after the files.';

function table(rows: [string, string][], indent = '  '): string {
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(w)}  ${b}`).join('\n');
}

/** The epilog of `scanwatch --help` and `scanwatch analyze --help`. */
export function epilog(): string {
  return [
    LIST_NOTE,
    '',
    'Examples:',
    table(EXAMPLES),
    '',
    'Exit codes:',
    table(EXIT_CODES),
    '',
    'Environment:',
    table(ENVIRONMENT),
  ].join('\n');
}
