import { closeSync, openSync } from 'node:fs';
import { CaptureError, readCaptureFile, readCaptureStream } from '../capture/index.js';
import { Engine } from '../engine/engine.js';
import type { EngineConfig } from '../rules/config.js';
import { buildReport, type FileSummary, type Report } from '../report/report.js';
import { renderTable } from '../report/table.js';
import { sitePolicy, type SitePolicy } from '../rules/policy.js';
import { EXIT_INPUT_DAMAGED, EXIT_USAGE, printWarning, UserError } from './errors.js';

export const FORMATS = ['table', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

export interface AnalyzeOptions {
  files: string[];
  format: Format;
  config: EngineConfig;
  version: string;
  homeNet?: string[];
  allowScanners?: string[];
  allowTargets?: string[];
  darkNet?: string[];
  honeyPorts?: string[];
}

/** Fails early, before any work, on a file that cannot even be opened. */
function checkOpenable(path: string): void {
  if (path === '-') return;
  try {
    closeSync(openSync(path, 'r'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`cannot open ${path}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot open ${path}: permission denied`);
    throw new UserError(`cannot open ${path}: ${(err as Error).message}`);
  }
}

export async function analyze(opts: AnalyzeOptions): Promise<{ report: Report; exitCode: number }> {
  opts.files.forEach(checkOpenable);
  if (opts.files.filter((f) => f === '-').length > 1) throw new UserError('standard input (-) can be read only once');
  let policy: SitePolicy;
  try {
    policy = sitePolicy(opts.homeNet, opts.allowScanners, opts.allowTargets, opts.darkNet, opts.honeyPorts);
  } catch (err) {
    throw new UserError((err as Error).message, EXIT_USAGE);
  }
  const engine = new Engine(opts.config);
  engine.useAllowLists(policy.allowScanners, policy.allowTargets);
  engine.useDeception(policy.darkNet, policy.honeyPorts);
  const files: FileSummary[] = [];
  const warnings: string[] = [];
  for (const path of opts.files) {
    try {
      const r = path === '-' ? await readCaptureStream(process.stdin, engine, '-') : readCaptureFile(path, engine);
      files.push({ path, format: r.format, packets: r.packets, bytes: r.bytes, truncated: r.truncated, warning: r.warning });
      if (r.warning !== null) warnings.push(r.warning);
    } catch (err) {
      if (err instanceof CaptureError) throw new UserError(err.message);
      throw err;
    }
  }
  engine.finish();
  const report = buildReport(engine, files, opts.version, policy);
  writeReport(report, opts.format);
  for (const w of warnings) printWarning(w);
  return { report, exitCode: warnings.length > 0 ? EXIT_INPUT_DAMAGED : 0 };
}

function writeReport(report: Report, format: Format): void {
  let text: string;
  if (format === 'json') {
    text = JSON.stringify(report, null, 2) + '\n';
  } else if (format === 'ndjson') {
    const { detections, ...summary } = report;
    text = detections.map((d) => JSON.stringify({ kind: 'detection', ...d })).join('\n');
    text += (text ? '\n' : '') + JSON.stringify({ kind: 'summary', ...summary, detections: detections.length }) + '\n';
  } else {
    text = renderTable(report);
  }
  process.stdout.write(text);
}

