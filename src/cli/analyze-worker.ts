import { parentPort, workerData } from 'node:worker_threads';
import { analyzeFile } from './analyze-file.js';
import { type FileJob, replyForError, type SharedProgress, sitePolicyOf, type WorkerInit, type WorkerReply } from './analyze-pool.js';
import { ReadControl } from '../capture/inputs.js';

/** A worker of analyze-pool.ts: analyses the files it is sent, one at a time, and posts each one's summary. */
const { init, shared, slot } = workerData as { init: WorkerInit; shared: SharedProgress; slot: number };
const policy = sitePolicyOf(init.policy);
const port = parentPort!;

port.on('message', (job: FileJob & { index: number }) => {
  void run(job).then((reply) => port.postMessage(reply));
});

async function run(job: FileJob & { index: number }): Promise<WorkerReply> {
  // Progress and Ctrl-C go through shared memory, read by the main thread on a timer.
  const control: ReadControl = new ReadControl(() => {
    shared.counts[2 * slot] = control.bytesRead;
    shared.counts[2 * slot + 1] = control.packets;
    if (Atomics.load(shared.stop, 0) === 1) control.stop();
  });
  try {
    const summary = await analyzeFile(job.readPath, job.name, init.config, policy, control, init.withPackets);
    return { index: job.index, ok: true, run: summary };
  } catch (err) {
    return replyForError(job.index, err);
  } finally {
    shared.counts[2 * slot] = 0;
    shared.counts[2 * slot + 1] = 0;
  }
}
