// Runs one fuzz case and says whether scanwatch held.
//
// In-process: the capture parser, the engine, the report and all three
// output formats, with the modules passed in (src/ under vitest, dist/
// from `npm run fuzz`). Through the CLI: `node dist/cli/main.js analyze`
// with a 10 s limit. What must hold: no exception (no "internal error"),
// no hang, an exit code among 0, 1, 3, valid JSON output for exits 0 and 3,
// and for exit 1 one line on stderr and nothing on stdout.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './mutator.mjs';

export const HANG_MS = 10_000;
export const CLI = path.join(ROOT, 'dist/cli/main.js');

/** The default configuration with tables a hundredth of their size. */
export function smallConfig(config) {
  return Object.assign(config, { flowCapacity: 4096, probationCapacity: 1024, sourceCapacity: 256, sketchBudgetBytes: 8 * 1024 * 1024, maxDetections: 50 });
}

/**
 * mods: { CaptureParser, Engine, buildReport, renderTable, defaultConfig }.
 * Returns { ok, exit, ms, error? }; exit is what the CLI would return
 * (0 clean, 1 not a capture, 3 damaged).
 */
export function runInProcess(mods, bytes, opts = {}) {
  const t0 = performance.now();
  try {
    // Small tables (opts.small) make evictions happen on small inputs, and
    // cost 1 ms to build instead of 10-20 ms for the default 12 MB of tables.
    const engine = new mods.Engine(opts.small ? smallConfig(mods.defaultConfig()) : undefined);
    const parser = new mods.CaptureParser(engine, { bufferSize: 64 * 1024 });
    parser.push(bytes);
    const s = parser.finish();
    if (s.failure !== null && s.failure.kind === 'NOT_CAPTURE') return { ok: true, exit: 1, ms: performance.now() - t0 };
    engine.finish();
    const damaged = s.failure !== null || s.truncated;
    const files = [{ path: 'case', format: s.format ?? 'pcap', packets: s.packets, bytes: s.bytes, truncated: s.truncated, warning: damaged ? 'damaged' : null }];
    const report = mods.buildReport(engine, files, 'fuzz');
    const json = JSON.parse(JSON.stringify(report, null, 2));
    if (json.packets !== engine.packets) throw new Error('report packets differ from the engine');
    for (const d of report.detections) JSON.parse(JSON.stringify({ kind: 'detection', ...d }));
    const table = mods.renderTable(report);
    if (typeof table !== 'string' || table.length === 0) throw new Error('empty table');
    const ms = performance.now() - t0;
    if (ms > HANG_MS) return { ok: false, exit: damaged ? 3 : 0, ms, error: `took ${Math.round(ms)} ms` };
    return { ok: true, exit: damaged ? 3 : 0, ms };
  } catch (err) {
    return { ok: false, exit: -1, ms: performance.now() - t0, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`.split('\n')[0], stack: err?.stack };
  }
}

/** CPU time (user + system) of a process so far, from /proc (Linux); 0 when unknown. */
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name, in clock ticks (100 Hz).
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** Runs the CLI on `file` in `format`; resolves with { ok, exit, ms, error? }. */
export function runCli(file, format = 'json') {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'analyze', file, '--format', format], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCANWATCH_DEBUG: '' } });
    const out = [];
    const err = [];
    let killed = false;
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    // A hang is 10 s of CPU, not of wall time: on a loaded machine a case
    // can wait longer than that for a core. Wall time is capped at 6x.
    const started = Date.now();
    const check = () => {
      const cpu = cpuMs(child.pid);
      if (cpu >= HANG_MS || Date.now() - started >= 6 * HANG_MS) {
        killed = true;
        child.kill('SIGKILL');
      } else timer = setTimeout(check, 1000);
    };
    let timer = setTimeout(check, HANG_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const fail = (error) => resolve({ ok: false, exit: code, ms, error, stderr: stderr.slice(0, 500) });
      if (killed) return fail(`hang: killed after ${HANG_MS} ms of CPU or ${6 * HANG_MS} ms in all`);
      if (signal !== null) return fail(`killed by ${signal}`);
      if (/internal error/.test(stderr)) return fail(stderr.trim().split('\n')[0]);
      if (code === 1) {
        if (stdout !== '') return fail('exit 1 with output on stdout');
        if (stderr.trim().split('\n').length !== 1) return fail('exit 1 without exactly one line on stderr');
        return resolve({ ok: true, exit: 1, ms });
      }
      if (code !== 0 && code !== 3) return fail(`exit ${code}`);
      try {
        if (format === 'json') JSON.parse(stdout);
        else if (format === 'ndjson') {
          const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
          if (lines.at(-1)?.kind !== 'summary') throw new Error('no summary line');
        } else if (stdout.length === 0) throw new Error('empty table');
      } catch (e) {
        return fail(`exit ${code} with invalid ${format} output: ${e.message}`);
      }
      if (code === 3 && !/warning/.test(stderr)) return fail('exit 3 without a warning');
      resolve({ ok: true, exit: code, ms });
    });
  });
}

/** Saves a failing case as test/fuzz/crashers/NAME.{pcap,pcapng} plus NAME.json describing it. */
export function saveCrasher(dir, name, bytes, info) {
  fs.mkdirSync(dir, { recursive: true });
  const ext = bytes.length >= 4 && bytes.readUInt32LE(0) === 0x0a0d0d0a ? 'pcapng' : 'pcap';
  const file = path.join(dir, `${name}.${ext}`);
  fs.writeFileSync(file, bytes);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(info, null, 2) + '\n');
  return file;
}
