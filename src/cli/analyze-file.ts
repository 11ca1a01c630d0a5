import { type CaptureReadResult } from '../capture/index.js';
import type { EngineConfig } from '../rules/config.js';
import type { SitePolicy } from '../rules/policy.js';
import { isoTime, summarizeRun, type FileSummary, type RunSummary } from '../report/report.js';
import { CaptureInput, readOne, type ReadControl } from '../capture/inputs.js';
import { buildEngine } from './engine-setup.js';

/**
 * One capture file analysed as its own capture: what `analyze` does for each
 * file without --merge, on the main thread or in a worker (analyze-pool.ts).
 */

export function fileSummary(path: string, r: CaptureReadResult, interrupted: boolean): FileSummary {
  // A record cut by the interrupt is not damage: the rest of it was never read.
  if (interrupted && r.truncated) r = { ...r, truncated: false, warning: null };
  return {
    path,
    format: r.format,
    packets: r.packets,
    bytes: r.bytes,
    truncated: r.truncated,
    warning: r.warning,
    first_packet: r.minTs === null ? null : isoTime(r.minTs),
    last_packet: r.maxTs === null ? null : isoTime(r.maxTs),
    detection_count: 0,
  };
}

/** A file's time range for the report (Infinity/-Infinity: no frame, as the report expects). */
export function timeRange(r: CaptureReadResult): { min: number; max: number } {
  return { min: r.minTs ?? Infinity, max: r.maxTs ?? -Infinity };
}

/**
 * Reads `readPath` (shown as `name`) into a fresh engine and summarises the
 * run; the engine is dropped on return, so memory is that of one capture.
 * `withPackets`: the summary lists each detection's packets (--extract, html).
 * Throws CaptureError for a file that is not a capture.
 */
export async function analyzeFile(readPath: string, name: string, config: EngineConfig, policy: SitePolicy, control: ReadControl, withPackets = false): Promise<RunSummary> {
  const input = CaptureInput.open(readPath);
  const engine = buildEngine(config, policy);
  let result: CaptureReadResult;
  try {
    result = await readOne(input, engine, control);
  } finally {
    input.close();
  }
  engine.finish();
  const file = fileSummary(name, result, control.stopped);
  return summarizeRun({ engine, files: [file], ranges: [timeRange(result)] }, policy, withPackets);
}
