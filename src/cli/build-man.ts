/**
 * Writes the man page, dist/scanwatch.1, from the same text as `--help`:
 * each command's help output (run from the built CLI, so options cannot
 * drift) plus the shared examples, exit codes and environment of
 * help-text.ts. Run by `npm run build` after tsc.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENT, EXAMPLES, EXIT_CODES, LIST_NOTE } from './help-text.js';
import { packageVersion } from './version.js';
import { CONFIG_EXAMPLE, CONFIG_FILE_INTRO, configFileRows, thresholdRows } from './config-doc.js';

/** Text made safe for roff: backslashes, and lines that would start a request. */
export function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** A command's help, options block only (usage and epilog are elsewhere in the page). */
function commandHelp(main: string, command: string[]): string {
  const text = execFileSync(process.execPath, [main, ...command, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
  const cut = text.indexOf(`\n${LIST_NOTE}`);
  return (cut >= 0 ? text.slice(0, cut) : text).trimEnd();
}

function tp(rows: [string, string][], bold = true): string {
  return rows.map(([a, b]) => `.TP\n${bold ? '.B ' : ''}${roffText(a)}\n${roffText(b)}`).join('\n');
}

export function manPage(main: string, version: string, date: string): string {
  const lines = [
    `.TH SCANWATCH 1 "${date}" "scanwatch ${version}" "User Commands"`,
    '.SH NAME',
    'scanwatch \\- find network reconnaissance (port scans, ping and ARP sweeps) in captures and live traffic',
    '.SH SYNOPSIS',
    '.B scanwatch analyze',
    '.I FILE...',
    '[\\fIoptions\\fR]',
    '.br',
    '.B scanwatch live',
    '.B \\-\\-interface',
    '.I IF',
    '[\\fIoptions\\fR]',
    '.br',
    '.B scanwatch completion',
    '.SH DESCRIPTION',
    'scanwatch reports who scanned whom, with which technique, pattern and tool, what the scan learned (open ports, live hosts) and its MITRE ATT&CK technique.',
    '.B analyze',
    'reads pcap and pcapng files (each its own capture unless \\-\\-merge);',
    '.B live',
    'is a sensor that logs detections as JSON lines and serves Prometheus metrics.',
    '.PP',
    roffText(LIST_NOTE),
    '.SH COMMANDS AND OPTIONS',
  ];
  for (const cmd of [[], ['analyze'], ['live']]) {
    lines.push(`.SS ${cmd.length === 0 ? 'scanwatch' : `scanwatch ${cmd[0]}`}`, '.nf', roffText(commandHelp(main, cmd)), '.fi');
  }
  lines.push('.SH CONFIGURATION FILE', roffText(CONFIG_FILE_INTRO), '.PP', 'Keys:', tp(configFileRows()));
  lines.push('.PP', 'The "thresholds" object has one entry per technique, each with any of these fields; the techniques and their defaults follow:', tp(thresholdRows()));
  lines.push('.PP', 'Example:', '.RS', '.nf', roffText(CONFIG_EXAMPLE), '.fi', '.RE');
  lines.push('.SH EXIT STATUS', tp(EXIT_CODES), '.SH ENVIRONMENT', tp(ENVIRONMENT), '.SH EXAMPLES');
  for (const [cmd, what] of EXAMPLES) lines.push('.PP', roffText(what) + ':', '.RS', '.nf', roffText(cmd), '.fi', '.RE');
  lines.push('.SH SEE ALSO', 'tcpdump(1), nmap(1), pcap-savefile(5)');
  return lines.join('\n') + '\n';
}

// Run as a script: node dist/cli/build-man.js
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dist = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const main = path.join(dist, 'cli', 'main.js');
  // The date of the version, not of the build: the same source gives the same page.
  const date = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000) : new Date(fs.statSync(path.join(dist, '..', 'package.json')).mtimeMs);
  fs.writeFileSync(path.join(dist, 'scanwatch.1'), manPage(main, packageVersion(), date.toISOString().slice(0, 10)));
}
