/**
 * The shared real-capture corpus (../shared/corpus/real beside the clone,
 * see its MANIFEST.md). It adds tests where it is present. CI lays it beside
 * the clone and sets SHARED_CORPUS_REQUIRED=1 (.ci/run): there, its
 * absence fails the suite instead of shrinking it. A user's clone has no
 * ../shared: its corpus tests are skipped, and scripts/test.sh says so in
 * one line. The variable is not named SCANWATCH_*: the CLI reads every
 * SCANWATCH_* variable as a setting and refuses unknown ones, so the CLI
 * tests would fail with it set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = path.resolve(fileURLToPath(new URL('../', import.meta.url)), '../shared/corpus/real');
export const corpusPresent = fs.existsSync(path.join(corpusDir, 'truth.json'));
export const corpusRequired = process.env.SHARED_CORPUS_REQUIRED === '1';
