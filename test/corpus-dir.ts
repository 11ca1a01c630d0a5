/**
 * The shared real-capture corpus (../shared/corpus/real beside the clone,
 * see its MANIFEST.md). It adds tests where it is present. CI lays it beside
 * the clone and sets SCANWATCH_REQUIRE_CORPUS=1 (.ci/run): there, its
 * absence fails the suite instead of shrinking it. A user's clone has no
 * ../shared: its corpus tests are skipped, and scripts/test.sh says so in
 * one line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = path.resolve(fileURLToPath(new URL('../', import.meta.url)), '../shared/corpus/real');
export const corpusPresent = fs.existsSync(path.join(corpusDir, 'truth.json'));
export const corpusRequired = process.env.SCANWATCH_REQUIRE_CORPUS === '1';
