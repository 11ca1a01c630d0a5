import { Worker } from 'node:worker_threads';
import { CaptureError } from '../capture/index.js';
import type { EngineConfig } from '../rules/config.js';
import type { RunSummary } from '../report/report.js';
import type { ReadControl } from '../capture/inputs.js';
import { UserError } from './errors.js';

/**
 * `analyze --threads N` over files read as separate captures: a pool of
 * worker threads (analyze-worker.ts), each analysing one whole file at a
 * time with its own engine, exactly as the main thread would
 * (analyze-file.ts). Results come back as plain RunSummary data and are
 * added in the files' order, so the report, detection ids included, is the
 * one a single thread writes. Memory is that of N captures at once.
 */

export { type PolicyArgs, policyOf as sitePolicyOf } from './engine-setup.js';
import type { PolicyArgs } from './engine-setup.js';

export interface WorkerInit {
  config: EngineConfig;
  policy: PolicyArgs;
  /** Summaries carry each detection's packets (for --extract and html). */
  withPackets: boolean;
}

export interface FileJob {
  readPath: string;
  /** The name the report gives the file (what the user typed). */
  name: string;
}

/** Shared with every worker: [0] 1 once reading must stop (Ctrl-C); per worker, bytes and frames read of its current file. */
export interface SharedProgress {
  stop: Int32Array;
  counts: Float64Array;
}

export type WorkerReply =
  | { index: number; ok: true; run: RunSummary }
  | { index: number; ok: false; captureError: string }
  | { index: number; ok: false; internal: string };

/** How often the progress bar reads the workers' counts. */
const PROGRESS_MS = 100;

/**
 * Analyses `jobs` on `threads` worker threads; returns their summaries in
 * job order. Files are handed out in order, so after a stop the files
 * analysed are a prefix of the list, as on one thread. A file that is not a
 * capture fails the whole run with the error of the first such file, as on
 * one thread.
 */
export async function analyzeInWorkers(jobs: FileJob[], threads: number, init: WorkerInit, control: ReadControl, tick: () => void): Promise<RunSummary[]> {
  const n = Math.max(1, Math.min(threads, jobs.length));
  const shared: SharedProgress = {
    stop: new Int32Array(new SharedArrayBuffer(4)),
    counts: new Float64Array(new SharedArrayBuffer(16 * n)),
  };
  const results: (WorkerReply | undefined)[] = new Array(jobs.length);
  let doneBytes = 0;
  let donePackets = 0;
  const progress = setInterval(() => {
    if (control.stopped) Atomics.store(shared.stop, 0, 1);
    let bytes = doneBytes;
    let packets = donePackets;
    for (let w = 0; w < n; w++) {
      bytes += shared.counts[2 * w]!;
      packets += shared.counts[2 * w + 1]!;
    }
    control.bytesRead = bytes;
    control.packets = packets;
    tick();
  }, PROGRESS_MS);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: n }, (_, w) => {
        const worker = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: { init, shared, slot: w } });
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const give = (): void => {
            if (next >= jobs.length || control.stopped || failed(results)) {
              resolve();
              return;
            }
            const index = next++;
            worker.postMessage({ index, ...jobs[index]! });
          };
          worker.on('message', (reply: WorkerReply) => {
            results[reply.index] = reply;
            if (reply.ok) {
              doneBytes += reply.run.files[0]!.bytes;
              donePackets += reply.run.files[0]!.packets;
            }
            give();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (code !== 0) reject(new Error(`analysis worker exited with code ${code}`));
          });
          give();
        });
      }),
    );
  } finally {
    clearInterval(progress);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const runs: RunSummary[] = [];
  for (const r of results) {
    if (r === undefined) break; // not started: reading was stopped
    if (!r.ok) {
      if ('captureError' in r) throw new UserError(r.captureError);
      throw new Error(r.internal);
    }
    runs.push(r.run);
  }
  // The final counts, not the timer's last sample (the interrupt warning quotes them).
  control.packets = runs.reduce((n, r) => n + r.packetCount, 0);
  return runs;
}

function failed(results: (WorkerReply | undefined)[]): boolean {
  return results.some((r) => r !== undefined && !r.ok);
}

/** A UserError a worker hit (a file unreadable since it was checked) travels as a capture error. */
export function replyForError(index: number, err: unknown): WorkerReply {
  if (err instanceof CaptureError || err instanceof UserError) return { index, ok: false, captureError: err.message };
  return { index, ok: false, internal: (err as Error)?.stack ?? String(err) };
}
