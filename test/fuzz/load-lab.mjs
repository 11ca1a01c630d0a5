// test/e2e/lab.ts (the one network-namespace lab) for plain Node: it is
// transpiled with the project's TypeScript into a scratch directory and
// imported from there, as bench/run-live.mjs does. lab.ts has no relative
// imports, so the one file is enough.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './mutator.mjs';

export async function loadLab() {
  let ts;
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new Error('the devDependency typescript is not installed: run npm ci');
  }
  const source = fs.readFileSync(path.join(ROOT, 'test/e2e/lab.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-fuzz-lab-'));
  try {
    const file = path.join(dir, 'lab.mjs');
    fs.writeFileSync(file, js);
    return await import(pathToFileURL(file).href);
  } finally {
    // Once imported, the module lives in memory; the scratch copy is not needed.
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
