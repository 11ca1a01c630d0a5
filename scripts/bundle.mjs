#!/usr/bin/env node
// Part of `npm run build`, after tsc: rewrites the CLI's entry points
// (dist/cli/main.js, and dist/cli/analyze-worker.js, which --threads starts
// in each worker) as bundles of the modules they import, with the code they
// share in dist/cli/chunk-*.js. Node's ES-module loader resolves, reads and
// links each of the ~110 modules one by one: about 90 ms of every start
// (BENCHMARKS.md, "Start-up"), paid again by every --threads worker.
// Every other file of dist/ stays as tsc wrote it (tests and benchmarks
// import them); the bundles keep the same directory, so the paths they
// compute from import.meta.url (package.json, the native binding, the
// worker's script) are those of the modules they replace.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(root, 'dist/cli');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

for (const old of fs.readdirSync(cli)) if (/^chunk-.*\.js$/.test(old)) fs.rmSync(path.join(cli, old));
const result = await build({
  entryPoints: { main: path.join(cli, 'main.js'), 'analyze-worker': path.join(cli, 'analyze-worker.js') },
  bundle: true,
  splitting: true, // live.js and the settings schema stay lazy: their own chunks, loaded by import()
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: cli,
  chunkNames: 'chunk-[hash]',
  // yargs is bundled (two dozen modules at every start); the packages only
  // `live` loads, and uplot (whose files the HTML report reads), stay in node_modules.
  external: Object.keys(pkg.dependencies).filter((d) => d !== 'yargs'),
  write: false,
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of result.outputFiles) fs.writeFileSync(f.path, f.contents);
// tsc's source maps of the two entry points describe the files the bundles replaced.
for (const entry of ['main', 'analyze-worker']) fs.rmSync(path.join(cli, `${entry}.js.map`), { force: true });
fs.chmodSync(path.join(cli, 'main.js'), 0o755);
