import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { AUTO_THREAD_MIB, autoThreads, MAX_AUTO_THREADS } from '../../src/cli/analyze.js';

const MIB = 2 ** 20;

describe('--threads default', () => {
  it('one thread per AUTO_THREAD_MIB of input, at most the cores and MAX_AUTO_THREADS', () => {
    const cores = os.availableParallelism();
    expect(autoThreads([10 * MIB, 10 * MIB])).toBe(1); // small files: a worker's start-up would not pay
    expect(autoThreads([AUTO_THREAD_MIB * MIB - 1])).toBe(1);
    expect(autoThreads([AUTO_THREAD_MIB * MIB, AUTO_THREAD_MIB * MIB])).toBe(Math.min(cores, 2));
    expect(autoThreads(Array(20).fill(AUTO_THREAD_MIB * MIB))).toBe(Math.min(cores, MAX_AUTO_THREADS));
  });

  it('an input of unknown size (a FIFO, standard input) keeps one thread', () => {
    expect(autoThreads([null, 10 * AUTO_THREAD_MIB * MIB])).toBe(1);
  });
});
