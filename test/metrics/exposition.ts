/**
 * Helpers for the metrics tests: a small reader of the Prometheus text
 * exposition format (enough for prom-client's output) and promtool.
 */
import { spawnSync } from 'node:child_process';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const v = m[3]!;
    out.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return out;
}

/** Samples of one metric whose labels include `match`. */
export function series(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` matching `match`; fails when there is not exactly one. */
export function value(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  const found = series(samples, name, match);
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!.value;
}

/** The exposition lines (HELP, TYPE, samples) of metrics whose names start with `prefix`. */
export function linesOf(text: string, prefix: string): string {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix) || l.startsWith(`# HELP ${prefix}`) || l.startsWith(`# TYPE ${prefix}`))
    .map((l) => `${l}\n`)
    .join('');
}

export interface ToolRun {
  status: number | null;
  output: string;
}

/** Runs promtool (Debian's prometheus package) with the given arguments and standard input. */
export function promtool(args: string[], input?: string): ToolRun {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`cannot run promtool ${args.join(' ')}: ${r.error.message} (apt-get install prometheus)`);
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
