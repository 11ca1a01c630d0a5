import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureError, type CaptureReadResult } from '../capture/index.js';
import type { EngineConfig } from '../rules/config.js';
import { isoTime, ReportBuilder, type Report } from '../report/report.js';
import { renderTable } from '../report/table.js';
import { renderHtml } from '../report/html.js';
import { scanPackets, type ScanPacketsResult } from '../report/scan-packets.js';
import type { SitePolicy } from '../rules/policy.js';
import { CaptureInput, readMerged, ReadControl } from '../capture/inputs.js';
import { analyzeFile, fileSummary, timeRange } from './analyze-file.js';
import { buildEngine } from './engine-setup.js';
import { analyzeInWorkers, type PolicyArgs, sitePolicyOf } from './analyze-pool.js';
import { ProgressBar } from './progress.js';
import { EXIT_INPUT_DAMAGED, EXIT_OUTPUT, EXIT_USAGE, printError, printWarning, systemErrorText, UserError } from './errors.js';
import { stdoutName, writeStdout } from './standard-output.js';

export const FORMATS = ['table', 'json', 'ndjson', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** --threads unset: one thread per this much input, at most the cores and MAX_AUTO_THREADS. */
export const AUTO_THREAD_MIB = 128;
export const MAX_AUTO_THREADS = 4;

/**
 * The default thread count. A worker costs node's start-up and V8's
 * compiling again (about 0.3 s here; two 37 MB files take longer on two
 * threads than on one: BENCHMARKS.md "Threads"), which
 * small files do not repay, and a capture's tables (memory): so one
 * thread per AUTO_THREAD_MIB of input, and one for inputs of unknown size.
 */
export function autoThreads(sizes: (number | null)[]): number {
  if (sizes.some((s) => s === null)) return 1;
  const total = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  return Math.max(1, Math.min(os.availableParallelism(), MAX_AUTO_THREADS, Math.floor(total / (AUTO_THREAD_MIB * 2 ** 20))));
}

/** Exit status after SIGINT, as shells report a process ended by it (128 + 2). */
export const EXIT_INTERRUPTED = 130;

export interface AnalyzeOptions {
  files: string[];
  format: Format;
  config: EngineConfig;
  version: string;
  homeNet?: string[];
  allowScanners?: string[];
  allowTargets?: string[];
  /** Read all files as one stream in timestamp order (rotated captures of one link). */
  merge?: boolean;
  /**
   * Worker threads for files read as separate captures (not --merge, not
   * standard input): each file is analysed whole by one thread, so the
   * report is the one a single thread gives. Unset: autoThreads.
   */
  threads?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Write each scan's packets to DIR/<id>-<src>-<type>.pcap. */
  extract?: string;
  darkNet?: string[];
  honeyPorts?: string[];
}

/**
 * Fails early, before any work, on a file that cannot be read. Uses stat
 * and access, never open: a FIFO must be opened only once, when it is read.
 */
function checkReadable(file: string): number | null {
  if (file === '-') {
    try {
      const st = fs.fstatSync(0);
      return st.isFile() ? st.size : null;
    } catch {
      return null;
    }
  }
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new UserError(`cannot open ${file}: is a directory`);
    fs.accessSync(file, fs.constants.R_OK);
    return st.isFile() ? st.size : null;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`cannot open ${file}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot open ${file}: permission denied`);
    throw new UserError(`cannot open ${file}: ${(err as Error).message}`);
  }
}

/** Warnings a merged read owes the user: files whose time runs backwards, files that overlap. */
function mergeWarnings(paths: string[], results: CaptureReadResult[]): string[] {
  const out: string[] = [];
  results.forEach((r, i) => {
    if (r.backwards > 0) out.push(`${paths[i]}: packet time runs backwards ${r.backwards} time${r.backwards === 1 ? '' : 's'}; merged in timestamp order`);
  });
  const order = results.map((_, i) => i).filter((i) => results[i]!.minTs !== null).sort((a, b) => results[a]!.minTs! - results[b]!.minTs!);
  for (let k = 1; k < order.length; k++) {
    const prev = results[order[k - 1]!]!;
    const cur = results[order[k]!]!;
    if (cur.minTs! < prev.maxTs!) {
      out.push(`${paths[order[k]!]} overlaps ${paths[order[k - 1]!]} in time (${isoTime(cur.minTs!)} < ${isoTime(prev.maxTs!)}); merged in timestamp order`);
    }
  }
  return out;
}

/**
 * Copies an input that cannot be read twice (standard input, a FIFO, a
 * process substitution's pipe) to a temporary file, for work that reads it
 * again (--extract, html). The caller removes `dir`, whether the copy
 * succeeded or not.
 */
async function spool(input: string, dir: string): Promise<string> {
  const file = path.join(dir, 'input.pcap');
  const out = fs.createWriteStream(file);
  const source = input === '-' ? process.stdin : fs.createReadStream(input);
  const name = input === '-' ? 'standard input' : input;
  await new Promise<void>((resolve, reject) => {
    source.pipe(out);
    out.on('finish', resolve);
    out.on('error', (err: Error) => reject(new UserError(`cannot copy ${name} to ${file} to read it twice: ${systemErrorText(err)}`, EXIT_OUTPUT)));
    source.on('error', (err: Error) => reject(new UserError(`cannot read ${name}: ${systemErrorText(err)}`)));
  });
  return file;
}

/** Whether the report needs each scan's packets read again (--extract, the HTML plots). */
function needsSecondPass(opts: AnalyzeOptions): boolean {
  return opts.extract !== undefined || opts.format === 'html';
}

function policyArgs(opts: AnalyzeOptions): PolicyArgs {
  return { homeNet: opts.homeNet, allowScanners: opts.allowScanners, allowTargets: opts.allowTargets, darkNet: opts.darkNet, honeyPorts: opts.honeyPorts };
}

export async function analyze(opts: AnalyzeOptions): Promise<{ report: Report; exitCode: number }> {
  const sizes = opts.files.map(checkReadable);
  if (opts.files.filter((f) => f === '-').length > 1) throw new UserError('standard input (-) can be read only once');
  let policy: SitePolicy;
  try {
    policy = sitePolicyOf(policyArgs(opts));
  } catch (err) {
    throw new UserError((err as Error).message, EXIT_USAGE);
  }
  if (opts.extract !== undefined) prepareExtractDir(opts.extract);
  // Where each file is read from: standard input and what is not a regular
  // file (a FIFO, a pipe under /dev/fd) are spooled when they must be read twice.
  const readPaths = opts.files.slice();
  const spoolDirs: string[] = [];
  try {
    if (needsSecondPass(opts)) {
      for (let i = 0; i < readPaths.length; i++) {
        if (readPaths[i] !== '-' && sizes[i] !== null) continue;
        let dir: string;
        try {
          dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-spool-'));
        } catch (err) {
          throw new UserError(`cannot make a directory in ${os.tmpdir()} to copy ${readPaths[i] === '-' ? 'standard input' : readPaths[i]} into: ${systemErrorText(err)}`, EXIT_OUTPUT);
        }
        spoolDirs.push(dir);
        readPaths[i] = await spool(readPaths[i]!, dir);
      }
    }
    return await run(opts, policy, readPaths, sizes);
  } finally {
    for (const dir of spoolDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function prepareExtractDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new UserError(`--extract ${dir}: ${(err as Error).message.replace(/^E[A-Z]+: /, '').replace(/, (mkdir|access)\b.*$/, '')}`, EXIT_USAGE);
  }
}

async function run(opts: AnalyzeOptions, policy: SitePolicy, readPaths: string[], sizes: (number | null)[]): Promise<{ report: Report; exitCode: number }> {
  const total = sizes.some((s) => s === null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  let bar: ProgressBar | null = null;
  const control = new ReadControl(() => bar?.tick());
  if (process.stderr.isTTY === true && opts.quiet !== true) {
    bar = new ProgressBar(process.stderr, total, () => control);
    bar.tick();
  }

  // Ctrl-C: stop reading and report what was read; a second one exits at once
  // (--extract's partial files are removed on the way out: pcap-extract.ts).
  // The handler stays through the second pass (--extract, html).
  const onSigint = (): void => {
    if (control.stopped) process.exit(EXIT_INTERRUPTED);
    control.stop();
  };
  process.on('SIGINT', onSigint);
  // Files read as separate captures go to worker threads, one file per thread at a time.
  const threads = Math.min(opts.threads ?? autoThreads(sizes), readPaths.length);
  const parallel = opts.merge !== true && threads > 1 && !readPaths.includes('-');
  const builder = new ReportBuilder(opts.version, policy, opts.merge === true);
  const damaged: string[] = [];
  try {
    if (opts.merge === true) {
      const inputs: CaptureInput[] = [];
      try {
        for (const p of readPaths) inputs.push(CaptureInput.open(p));
        const engine = buildEngine(opts.config, policy);
        const results = await readMerged(inputs, engine, control);
        engine.finish();
        const files = results.map((r, i) => fileSummary(opts.files[i]!, r, control.stopped));
        builder.warnings.push(...mergeWarnings(opts.files, results));
        builder.addRun({ engine, files, ranges: results.map(timeRange) }, needsSecondPass(opts));
        for (const f of files) if (f.warning !== null) damaged.push(f.warning);
      } finally {
        for (const i of inputs) i.close();
      }
    } else if (parallel) {
      const outcomes = await analyzeInWorkers(
        readPaths.map((p, i) => ({ readPath: p, name: opts.files[i]! })),
        threads,
        { config: opts.config, policy: policyArgs(opts), withPackets: needsSecondPass(opts) },
        control,
        () => bar?.tick(),
      );
      for (const o of outcomes) {
        builder.addSummary(o);
        if (o.files[0]!.warning !== null) damaged.push(o.files[0]!.warning);
      }
    } else {
      for (let i = 0; i < readPaths.length && !control.stopped; i++) {
        const run = await analyzeFile(readPaths[i]!, opts.files[i]!, opts.config, policy, control, needsSecondPass(opts));
        builder.addSummary(run);
        if (run.files[0]!.warning !== null) damaged.push(run.files[0]!.warning);
      }
    }
  } catch (err) {
    bar?.clear();
    process.off('SIGINT', onSigint);
    if (err instanceof CaptureError) throw new UserError(err.message);
    throw err;
  }
  builder.warnings.push(...damaged);
  const partial = control.stopped;
  const report = builder.build(partial);
  let packets: ScanPacketsResult | null = null;
  const readPathOf = new Map(opts.files.map((f, i) => [f, readPaths[i]!]));
  if (partial && opts.extract !== undefined) builder.warnings.push('--extract skipped: reading was interrupted');
  try {
    if (!partial && (opts.extract !== undefined || opts.format === 'html') && report.detections.length > 0) {
      packets = await scanPackets(report, builder.plan, readPathOf, { extractDir: opts.extract, samples: opts.format === 'html', config: opts.config }, control);
      builder.warnings.push(...packets.warnings);
      if (packets.interrupted && opts.extract !== undefined) builder.warnings.push('--extract interrupted: no extract file was kept (partial files removed)');
      if (packets.interrupted && opts.format === 'html') builder.warnings.push('interrupted while reading again for the plots: they cover the packets read so far');
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  bar?.clear();
  const written = await writeStdout(renderReport(report, opts.format, packets));
  for (const w of report.warnings) printWarning(w);
  if (partial) printWarning(`interrupted: the report covers the ${control.packets} packets read so far`);
  // What could not be written: one line each, after the warnings, and an exit code of its own.
  const outputFaults: string[] = [];
  if (packets?.extractFailure != null) outputFaults.push(packets.extractFailure);
  if (!written.written && !written.readerClosed) outputFaults.push(`cannot write the report to ${stdoutName()}: ${written.reason}`);
  for (const f of outputFaults) printError(f);
  const interrupted = partial || packets?.interrupted === true;
  const exitCode = outputFaults.length > 0 ? EXIT_OUTPUT : interrupted ? EXIT_INTERRUPTED : damaged.length > 0 ? EXIT_INPUT_DAMAGED : 0;
  // A read of a pipe left waiting would hold the process open: the report is out, so end now.
  if (control.pending) process.exit(exitCode);
  return { report, exitCode };
}

/** NDJSON: one line per detection, then a summary whose keys mean what they mean in JSON. */
export function ndjson(report: Report): string {
  const { detections, ...rest } = report;
  let text = detections.map((d) => JSON.stringify({ kind: 'detection', ...d })).join('\n');
  text += (text ? '\n' : '') + JSON.stringify({ kind: 'summary', ...rest, detection_count: detections.length }) + '\n';
  return text;
}

function renderReport(report: Report, format: Format, packets: ScanPacketsResult | null): string {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'ndjson') return ndjson(report);
  if (format === 'html') return renderHtml(report, packets?.samples ?? new Map());
  return renderTable(report);
}
