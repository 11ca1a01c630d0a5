/**
 * The configuration file as the man page describes it, generated from the
 * option table (options.ts) and the technique registry, so that the page
 * lists every key, what it takes, and whether SIGHUP applies it.
 */
import { TECHNIQUES } from '../rules/techniques.js';
import { OPTIONS, type OptionSpec } from './options.js';
import { SENSITIVITIES } from './thresholds.js';
import { defaultText } from './yargs-options.js';

export const CONFIG_FILE_INTRO =
  'The --config file is one JSON object whose keys are option names (home-net, window, log-level...) plus "thresholds". Every key and value is checked as the flags are; one bad key is an error naming it (exit 2). The command line, and for live the SCANWATCH_* variables, win over the file; analyze takes the keys it has and checks but ignores the others, so one file serves both. On SIGHUP, live reads the file again: its keys win over the command line, a key taken out falls back to the command line or the default, and the new configuration is applied whole or not at all (a bad value, or a change of a setting marked "restart", keeps the old one and logs config_reload_failed).';

const KIND_TEXT: Record<OptionSpec['kind'], string> = {
  string: 'text',
  number: 'number',
  boolean: 'true or false',
  list: 'list (array, or comma-separated text)',
  choice: 'one of',
  size: 'size (bytes, or text such as "64MiB")',
  thresholds: 'object',
};

/** One row per key: the key, then what it takes, which commands, the default, and whether SIGHUP applies it. */
export function configFileRows(): [string, string][] {
  return (OPTIONS as readonly OptionSpec[])
    .filter((o) => o.name !== 'config')
    .map((o) => {
      const kind = o.kind === 'choice' ? `${KIND_TEXT.choice} ${o.choices!.join(', ')}` : KIND_TEXT[o.kind];
      const shown = defaultText(o);
      const parts = [kind, o.commands.join(' and '), o.commands.includes('live') ? (o.reload ? 'SIGHUP applies it' : 'restart') : null, shown === undefined ? null : `default ${shown}`];
      return [o.name, parts.filter((p) => p !== null).join('; ')];
    });
}

/** The "thresholds" object: its fields, and each technique with its default counts. */
export function thresholdRows(): [string, string][] {
  const rows: [string, string][] = [
    ['enabled', 'false: the technique is counted but never reported'],
    ['sensitivity', `${SENSITIVITIES.join(', ')}: this technique's own level (low doubles the counts, high halves them)`],
    ['ports', 'distinct destination ports (protocol numbers for ip-protocol) that make a scan'],
    ['hosts', 'distinct destination hosts that make a scan or sweep'],
    ['probes', 'probe packets needed besides (idle-scan)'],
    ['confirmed', 'distinct hosts or ports that suffice once the source was reported for another technique'],
  ];
  for (const t of TECHNIQUES) {
    const th = t.threshold;
    const counts = [th.ports > 0 ? `ports ${th.ports}` : null, th.hosts > 0 ? `hosts ${th.hosts}` : null, th.probes !== undefined ? `probes ${th.probes}` : null, th.confirmed !== undefined ? `confirmed ${th.confirmed}` : null];
    rows.push([t.name, `defaults: ${counts.filter((c) => c !== null).join(', ')}`]);
  }
  return rows;
}

/** An example file, as the man page and README show it. */
export const CONFIG_EXAMPLE = JSON.stringify(
  {
    'home-net': ['10.0.0.0/8'],
    'allow-scanner': ['10.0.5.20/32'],
    window: 600,
    sensitivity: 'medium',
    thresholds: { 'tcp-syn': { ports: 20 }, udp: { sensitivity: 'low' }, 'arp-sweep': { enabled: false } },
  },
  null,
  2,
);
