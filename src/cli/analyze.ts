import { CaptureError, closeCapture, openCapture, type OpenedCapture, readCaptureStream, readOpenedCapture } from '../capture/index.js';
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
}

/**
 * Opens every input once, before any work, so that a missing file fails
 * fast; the same descriptor is then read (see OpenedCapture: a FIFO opened
 * twice loses its writer).
 */
function openInputs(paths: string[]): (OpenedCapture | null)[] {
  const opened: (OpenedCapture | null)[] = [];
  try {
    for (const path of paths) opened.push(path === '-' ? null : openCapture(path));
  } catch (err) {
    for (const c of opened) if (c !== null) closeCapture(c);
    if (err instanceof CaptureError) throw new UserError(err.message);
    throw err;
  }
  return opened;
}

export async function analyze(opts: AnalyzeOptions): Promise<{ report: Report; exitCode: number }> {
  if (opts.files.filter((f) => f === '-').length > 1) throw new UserError('standard input (-) can be read only once');
  let policy: SitePolicy;
  try {
    policy = sitePolicy(opts.homeNet, opts.allowScanners, opts.allowTargets);
  } catch (err) {
    throw new UserError((err as Error).message, EXIT_USAGE);
  }
  const inputs = openInputs(opts.files);
  const engine = new Engine(opts.config);
  engine.useAllowLists(policy.allowScanners, policy.allowTargets);
  const files: FileSummary[] = [];
  const warnings: string[] = [];
  for (const [i, path] of opts.files.entries()) {
    try {
      const input = inputs[i]!;
      const r = input === null ? await readCaptureStream(process.stdin, engine, '-') : await readOpenedCapture(input, engine);
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

