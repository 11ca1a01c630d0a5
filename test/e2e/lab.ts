/**
 * A throw-away network lab for end-to-end tests of the live sensor: two
 * network namespaces joined by a veth pair, the scanner on one side and the
 * target (where the sensor captures) on the other.
 *
 *   [scanner ns] scan0 ============ veth ============ tgt0 [target ns]
 *   198.18.0.1/24, 198.18.0.3/24                      198.18.0.2/24
 *   2001:db8::1/64                                    2001:db8::2/64 (nodad)
 *                                                     tcp/22, tcp/80, tcp/443 listening
 *
 * The same approach as scripts/netns-lib.sh, in TypeScript:
 *
 *  - Every namespace is created here, named `<prefix>-<pid>-scan|tgt`, and
 *    remembered; destroy() (and a process 'exit' hook, for crashes) kills
 *    what is left inside and deletes them. create() also removes namespaces
 *    of this naming scheme left behind by a run whose process is gone.
 *  - The veth pair is created inside the scanner namespace with its peer
 *    placed straight into the target namespace: no interface ever exists in
 *    the root namespace, so nothing can reach the host's own interfaces.
 *  - Every command runs through `ip netns exec` in one of this lab's
 *    namespaces, after checking that each IP address in its arguments is in
 *    198.18.0.0/15 or 2001:db8::/32, or the namespace's own loopback
 *    (127.0.0.0/8, ::1: each namespace has a loopback of its own).
 *
 * Node built-ins only, and no relative imports: bench/run-live.mjs loads
 * this file by transpiling it with the project's TypeScript.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export const SCAN_IF = 'scan0';
export const TGT_IF = 'tgt0';
export const SCAN_MAC = '02:00:c6:12:00:01';
export const TGT_MAC = '02:00:c6:12:00:02';
export const SCAN4 = '198.18.0.1';
/** A second scanner address (own detections, e.g. for masscan). */
export const SCAN4_B = '198.18.0.3';
export const TGT4 = '198.18.0.2';
export const SCAN6 = '2001:db8::1';
export const TGT6 = '2001:db8::2';
export const TCP_OPEN = [22, 80, 443] as const;

// ---------------------------------------------------------------------------
// address safety

function ipv4ToInt(a: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

/** 198.18.0.0/15 (the lab) or 127.0.0.0/8 (the namespace's own loopback). */
export function labIPv4(a: string): boolean {
  const n = ipv4ToInt(a);
  if (n === null) return false;
  return (n & 0xfffe0000) >>> 0 === 0xc6120000 || n >>> 24 === 127;
}

/** 2001:db8::/32, or ::1 / :: (loopback, unspecified bind address). */
export function labIPv6(a: string): boolean {
  const s = a.toLowerCase();
  return /^2001:0?db8(:|$)/.test(s) || s === '::1' || s === '::';
}

/**
 * Throws if any argument contains an IPv4 or IPv6 address outside the lab
 * ranges (addresses are found anywhere inside an argument: URLs, CIDRs,
 * --opt=ADDR). MAC addresses are recognised and allowed.
 */
export function checkLabArgs(args: readonly string[]): void {
  for (const arg of args) {
    for (const m of arg.matchAll(/\d{1,3}(?:\.\d{1,3}){3}/g)) {
      if (!labIPv4(m[0])) throw new Error(`lab: refusing non-lab IPv4 address ${m[0]} in argument ${JSON.stringify(arg)}`);
    }
    for (const m of arg.matchAll(/[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}/g)) {
      const tok = m[0];
      if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(tok)) continue; // MAC
      if (!labIPv6(tok)) throw new Error(`lab: refusing non-lab IPv6 address ${tok} in argument ${JSON.stringify(arg)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// small utilities

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every `intervalMs` until it returns a value other than
 * undefined/false/null, and returns that value; throws after `timeoutMs`
 * with `what` and the last thing `describe()` said.
 */
export async function waitUntil<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v as T;
      lastError = null;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const extra = opts.describe ? `; ${opts.describe()}` : '';
      const err = lastError ? `; last error: ${(lastError as Error).message ?? String(lastError)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra}${err}`);
    }
    await sleep(intervalMs);
  }
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (enough for scanwatch's /metrics). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `labels`; null when there is none. */
export function metricValue(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number | null {
  let sum: number | null = null;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum = (sum ?? 0) + s.value;
  }
  return sum;
}

export interface TcpreplayStats {
  /** "Actual: N packets": packets tcpreplay handed to the interface. */
  actual: number;
  successful: number;
  failed: number;
  retried: number;
  seconds: number;
  /** The rate tcpreplay reports ("Rated: ... pps"). */
  pps: number;
}

export function parseTcpreplay(text: string): TcpreplayStats {
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`tcpreplay output lacks ${re}: ${text.slice(0, 800)}`);
    return Number(m[1]);
  };
  const retriedA = /Retried packets \(ENOBUFS\):\s*(\d+)/.exec(text);
  const retriedB = /Retried packets \(EAGAIN\):\s*(\d+)/.exec(text);
  return {
    actual: num(/Actual:\s*(\d+)\s+packets/),
    successful: num(/Successful packets:\s*(\d+)/),
    failed: num(/Failed packets:\s*(\d+)/),
    retried: Number(retriedA?.[1] ?? 0) + Number(retriedB?.[1] ?? 0),
    seconds: num(/sent in\s+([\d.]+)\s+seconds/),
    pps: num(/Rated:.*?,\s*([\d.]+)\s*pps/),
  };
}

/** utime + stime of a process in seconds (from /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15
  const ticks = Number(rest[11]) + Number(rest[12]);
  return ticks / clockTicks();
}

let clkTck: number | null = null;
function clockTicks(): number {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listNamespaces(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(/\s+/)[0]!)
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

function nsPids(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

/** Kills what is left inside `ns` (all of it started by a lab) and deletes it. */
function deleteNamespace(ns: string): void {
  for (let round = 0; round < 3; round++) {
    const pids = nsPids(ns);
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    execFileSync('sleep', ['0.1']);
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {}
}

const NS_NAME = /^(sw[a-z0-9]+)-(\d+)-(scan|tgt)$/;

/** Deletes namespaces (and scratch directories) of this naming scheme whose creating process no longer exists. */
export function removeStaleLabs(prefix: string): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = NS_NAME.exec(ns);
    if (!m || m[1] !== prefix) continue;
    if (Number(m[2]) === process.pid || pidAlive(Number(m[2]))) continue;
    deleteNamespace(ns);
    removed.push(ns);
  }
  // and the scratch directories of such runs
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${prefix}-lab-(\\d+)-[A-Za-z0-9]+$`).exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
      removed.push(path.join(os.tmpdir(), name));
    } catch {}
  }
  return removed;
}

/**
 * Things torn down with `destroySync` when the test process exits, should
 * their own teardown not run (a crash, a timeout): one exit hook per set,
 * added with the first member.
 */
export class ExitCleanup<T extends { destroySync(): void }> {
  private readonly live = new Set<T>();
  private hooked = false;

  add(member: T): void {
    this.live.add(member);
    if (this.hooked) return;
    this.hooked = true;
    process.on('exit', () => {
      for (const m of this.live) m.destroySync();
    });
  }

  delete(member: T): void {
    this.live.delete(member);
  }
}

const liveLabs = new ExitCleanup<Lab>();

// ---------------------------------------------------------------------------
// background processes

export interface BgProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null; at: number } | null;
  stdoutLines: string[];
  stderr: string;
  running(): boolean;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface LogLine {
  event?: string;
  src?: string;
  type?: string;
  [k: string]: unknown;
}

/** A running `scanwatch live` inside the target namespace. */
export class Sensor {
  constructor(
    readonly lab: Lab,
    readonly proc: BgProcess,
    readonly listen: string,
    readonly args: string[],
    /** Parsed JSON log lines, in order. */
    readonly lines: LogLine[],
    /** stdout lines that were not JSON. */
    readonly nonJson: string[],
  ) {}

  get pid(): number {
    return this.proc.pid;
  }

  get stderr(): string {
    return this.proc.stderr;
  }

  events(event: string, filter: (l: LogLine) => boolean = () => true, from = 0): LogLine[] {
    return this.lines.slice(from).filter((l) => l.event === event && filter(l));
  }

  /** Waits for a log line with `event` matching `filter` at index >= from. */
  async waitForLine(what: string, event: string, filter: (l: LogLine) => boolean = () => true, timeoutMs = 15_000, from = 0): Promise<LogLine> {
    return waitUntil(
      what,
      () => {
        const hit = this.lines.slice(from).find((l) => l.event === event && filter(l));
        if (hit) return hit;
        if (!this.proc.running()) throw new Error(`sensor exited (${JSON.stringify(this.proc.exitInfo)}); stderr: ${this.proc.stderr.trim()}`);
        return undefined;
      },
      {
        timeoutMs,
        intervalMs: 50,
        describe: () => `sensor events so far: ${this.lines.map((l) => `${l.event}${l.src ? `(${l.src} ${l.type})` : ''}`).join(', ')}; stderr: ${this.proc.stderr.trim() || '(empty)'}`,
      },
    );
  }

  async metricsText(): Promise<string> {
    const r = await this.lab.httpGet(this.lab.tgtNs, `http://${this.listen}/metrics`);
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body.slice(0, 200)}`);
    return r.body;
  }

  async metrics(): Promise<MetricSample[]> {
    return parseMetrics(await this.metricsText());
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number | null> {
    return metricValue(await this.metrics(), name, labels);
  }

  healthz(): Promise<{ status: number; body: string }> {
    return this.lab.httpGet(this.lab.tgtNs, `http://${this.listen}/healthz`);
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  /**
   * Waits until scanwatch_packets_total has not changed for `quietMs`
   * (the capture has drained) and returns it.
   */
  async settledPackets(quietMs = 1500, timeoutMs = 30_000): Promise<number> {
    let last = -1;
    let since = Date.now();
    return waitUntil(
      'scanwatch_packets_total to settle',
      async () => {
        const v = (await this.metric('scanwatch_packets_total')) ?? 0;
        if (v !== last) {
          last = v;
          since = Date.now();
          return undefined;
        }
        return Date.now() - since >= quietMs ? { v } : undefined;
      },
      { timeoutMs, intervalMs: 250, describe: () => `last value ${last}` },
    ).then((r) => r.v);
  }
}

// ---------------------------------------------------------------------------
// the lab

export interface LabOptions {
  /** Namespace name prefix: lowercase letters/digits, starting with "sw" (default "swe2e"). */
  prefix?: string;
  /** Start the TCP listeners (22, 80, 443) in the target namespace (default true). */
  services?: boolean;
  /**
   * 'off' (default): checksum/segmentation offloads off on both veth ends, as
   * scripts/netns-lib.sh does for the fixtures, so frames carry real checksums.
   * 'default': leave the veth driver's defaults.
   */
  offloads?: 'off' | 'default';
  /**
   * A replay link (default false): no addresses and IPv6 off on either
   * end, so neither kernel answers or sends anything; what the sensor in
   * the target namespace sees is exactly what tcpreplay sends from the
   * scanner namespace. MTU 9000, so any recorded frame fits.
   */
  bare?: boolean;
  /** Repository root (for dist/cli/main.js). */
  root: string;
}

export class Lab {
  readonly scanNs: string;
  readonly tgtNs: string;
  readonly tmp: string;
  readonly root: string;
  readonly sensorMain: string;
  readonly procs: BgProcess[] = [];
  private readonly namespaces: string[] = [];
  private destroyed = false;

  private constructor(opts: LabOptions) {
    const prefix = opts.prefix ?? 'swe2e';
    if (!/^sw[a-z0-9]{1,10}$/.test(prefix)) throw new Error(`lab: bad prefix ${prefix}`);
    this.scanNs = `${prefix}-${process.pid}-scan`;
    this.tgtNs = `${prefix}-${process.pid}-tgt`;
    this.root = opts.root;
    this.sensorMain = path.join(opts.root, 'dist/cli/main.js');
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-lab-${process.pid}-`));
    fs.chmodSync(this.tmp, 0o755);
  }

  /** Builds the lab; on any failure everything created so far is removed again. */
  static async create(opts: LabOptions): Promise<Lab> {
    if (process.getuid?.() !== 0) throw new Error('lab: the live-sensor end-to-end lab needs root (network namespaces, raw capture)');
    removeStaleLabs(opts.prefix ?? 'swe2e');
    const lab = new Lab(opts);
    liveLabs.add(lab);
    try {
      if (opts.bare === true) lab.buildBare();
      else await lab.build(opts.services ?? true, opts.offloads ?? 'off');
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private ip(args: string[]): void {
    checkLabArgs(args);
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private addNs(ns: string): void {
    if (listNamespaces().includes(ns)) throw new Error(`lab: namespace ${ns} already exists; refusing to reuse it`);
    execFileSync('ip', ['netns', 'add', ns], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.namespaces.push(ns);
    this.ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    this.sysctl(ns, [
      'net.ipv6.conf.all.accept_ra=0',
      'net.ipv6.conf.default.accept_ra=0',
      'net.ipv6.conf.all.router_solicitations=0',
      'net.ipv6.conf.default.router_solicitations=0',
    ]);
  }

  private sysctl(ns: string, settings: string[]): void {
    this.assertNs(ns);
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', ...settings], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private assertNs(ns: string): void {
    if (!this.namespaces.includes(ns)) throw new Error(`lab: namespace ${ns} was not created by this lab; refusing to use it`);
    if (this.destroyed) throw new Error('lab: already destroyed');
  }

  private async build(services: boolean, offloads: 'off' | 'default'): Promise<void> {
    const { scanNs: S, tgtNs: T } = this;
    this.addNs(S);
    this.addNs(T);
    // created inside the scanner namespace, the peer goes straight into the target namespace
    this.ip(['-n', S, 'link', 'add', SCAN_IF, 'address', SCAN_MAC, 'type', 'veth', 'peer', 'name', TGT_IF, 'address', TGT_MAC, 'netns', T]);
    for (const [ns, dev] of offloads === 'off' ? ([[S, SCAN_IF], [T, TGT_IF]] as const) : []) {
      try {
        execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { stdio: 'ignore' });
      } catch {
        // older ethtool/kernels refuse some of the flags; checksums are what matters
        execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'rx', 'off'], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
    }
    this.ip(['-n', S, 'addr', 'add', `${SCAN4}/24`, 'dev', SCAN_IF]);
    this.ip(['-n', S, 'addr', 'add', `${SCAN4_B}/24`, 'dev', SCAN_IF]);
    this.ip(['-n', S, '-6', 'addr', 'add', `${SCAN6}/64`, 'dev', SCAN_IF, 'nodad']);
    this.ip(['-n', T, 'addr', 'add', `${TGT4}/24`, 'dev', TGT_IF]);
    this.ip(['-n', T, '-6', 'addr', 'add', `${TGT6}/64`, 'dev', TGT_IF, 'nodad']);
    this.ip(['-n', S, 'link', 'set', SCAN_IF, 'up']);
    this.ip(['-n', T, 'link', 'set', TGT_IF, 'up']);
    // static neighbours: no ARP/ND needed, the captures hold only the traffic under test
    this.ip(['-n', S, 'neigh', 'replace', TGT4, 'lladdr', TGT_MAC, 'dev', SCAN_IF, 'nud', 'permanent']);
    this.ip(['-n', S, 'neigh', 'replace', TGT6, 'lladdr', TGT_MAC, 'dev', SCAN_IF, 'nud', 'permanent']);
    this.ip(['-n', T, 'neigh', 'replace', SCAN4, 'lladdr', SCAN_MAC, 'dev', TGT_IF, 'nud', 'permanent']);
    this.ip(['-n', T, 'neigh', 'replace', SCAN4_B, 'lladdr', SCAN_MAC, 'dev', TGT_IF, 'nud', 'permanent']);
    this.ip(['-n', T, 'neigh', 'replace', SCAN6, 'lladdr', SCAN_MAC, 'dev', TGT_IF, 'nud', 'permanent']);
    // closed ports answer every probe (nmap -sU is fast, nothing is rate-limited away)
    const rl = ['net.ipv4.icmp_ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=100000', 'net.ipv6.icmp.ratelimit=0'];
    this.sysctl(T, rl);
    this.sysctl(S, rl);

    const ping = await this.exec(S, 'ping', ['-c1', '-W2', TGT4]);
    if (ping.code !== 0) throw new Error(`lab: ${TGT4} unreachable from the scanner namespace: ${ping.stdout}${ping.stderr}`);
    if (services) await this.startServices();
  }

  /** The replay link (LabOptions.bare). */
  private buildBare(): void {
    const { scanNs: S, tgtNs: T } = this;
    this.addNs(S);
    this.addNs(T);
    for (const ns of [S, T]) this.sysctl(ns, ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    this.ip(['-n', S, 'link', 'add', SCAN_IF, 'address', SCAN_MAC, 'mtu', '9000', 'type', 'veth', 'peer', 'name', TGT_IF, 'address', TGT_MAC, 'mtu', '9000', 'netns', T]);
    this.ip(['-n', S, 'link', 'set', SCAN_IF, 'up']);
    this.ip(['-n', T, 'link', 'set', TGT_IF, 'up']);
  }

  /** Python http.server on 80, socat on 22 (banner) and 443 (echo), all dual stack. */
  private async startServices(): Promise<void> {
    const www = path.join(this.tmp, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), '<!doctype html><title>scanwatch lab</title><h1>lab</h1>\n');
    const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    this.bg(this.tgtNs, 'http-80', py, ['-m', 'http.server', '80', '--bind', '::', '--directory', www]);
    this.bg(this.tgtNs, 'socat-22', 'socat', ['TCP6-LISTEN:22,ipv6only=0,reuseaddr,fork', 'SYSTEM:echo SSH-2.0-OpenSSH_9.2p1 lab']);
    this.bg(this.tgtNs, 'socat-443', 'socat', ['TCP6-LISTEN:443,ipv6only=0,reuseaddr,fork', 'EXEC:/bin/cat']);
    for (const p of TCP_OPEN) await this.waitListen(this.tgtNs, 'tcp', p);
    const r = await this.httpGet(this.scanNs, `http://${TGT4}/`);
    if (r.status !== 200) throw new Error(`lab: http/80 on ${TGT4} answered ${r.status}`);
  }

  /** Runs a command inside a lab namespace and collects its output. */
  exec(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
    this.assertNs(ns);
    checkLabArgs([cmd, ...args]);
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {}
        }
      }, opts.timeoutMs ?? 60_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - t0, timedOut });
      });
    });
  }

  /** Starts a command in the background inside a lab namespace (killed by destroy()). */
  bg(ns: string, name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): BgProcess {
    this.assertNs(ns);
    checkLabArgs([cmd, ...args]);
    // `ip netns exec` execs the command itself (no fork), so the pid is the command's
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    if (child.pid === undefined) throw new Error(`lab: could not start ${cmd}`);
    const proc: BgProcess = {
      name,
      pid: child.pid,
      child,
      exitInfo: null,
      stdoutLines: [],
      stderr: '',
      exited: null as unknown as BgProcess['exited'],
      running: () => proc.exitInfo === null,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (proc.exitInfo === null) {
          try {
            process.kill(proc.pid, signal);
          } catch {}
        }
      },
      stop: async (graceMs = 3000) => {
        if (proc.exitInfo !== null) return;
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await proc.exited;
        clearTimeout(t);
      },
    };
    proc.exited = new Promise((resolve) => {
      let closed = false;
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (closed) return;
        closed = true;
        proc.exitInfo = { code, signal, at: Date.now() };
        resolve(proc.exitInfo);
      };
      child.on('error', (e) => {
        proc.stderr += `spawn error: ${e.message}\n`;
        done(null, null);
      });
      child.on('close', done);
    });
    readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (l) => {
      proc.stdoutLines.push(l);
      opts.onLine?.(l);
    });
    child.stderr!.on('data', (b: Buffer) => {
      proc.stderr += b.toString('utf8');
    });
    this.procs.push(proc);
    return proc;
  }

  /** Environment for the sensor: no SCANWATCH_* settings leak in from the caller. */
  sensorEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SCANWATCH_')) env[k] = v;
    return env;
  }

  /**
   * Starts `node dist/cli/main.js live --interface tgt0 --log-format json ARGS`
   * in the target namespace, with its JSON log lines parsed as they come.
   * `listen` is where /metrics is fetched (pass the same --listen in args,
   * or nothing for the default 127.0.0.1:9750).
   */
  startSensor(
    args: string[],
    opts: {
      listen?: string;
      name?: string;
      wrap?: string[];
      /** Capture interface (default tgt0). */
      iface?: string;
      /** Extra environment variables (test-only knobs). */
      env?: NodeJS.ProcessEnv;
      /** Run dist/cli/main.js itself (its #!/usr/bin/env node line), not `node dist/cli/main.js`. */
      direct?: boolean;
    } = {},
  ): Sensor {
    const listen = opts.listen ?? '127.0.0.1:9750';
    const full = [this.sensorMain, 'live', '--interface', opts.iface ?? TGT_IF, '--log-format', 'json', ...args];
    const node = opts.direct ? [] : [process.execPath];
    const [cmd, ...rest] = opts.wrap && opts.wrap.length > 0 ? [...opts.wrap, ...node, ...full] : [...node, ...full];
    const lines: LogLine[] = [];
    const nonJson: string[] = [];
    const onLine = (l: string): void => {
      try {
        const o = JSON.parse(l) as unknown;
        if (o && typeof o === 'object' && !Array.isArray(o)) lines.push(o as LogLine);
        else nonJson.push(l);
      } catch {
        nonJson.push(l);
      }
    };
    const proc = this.bg(this.tgtNs, opts.name ?? 'sensor', cmd!, rest, { env: { ...this.sensorEnv(), ...opts.env }, onLine });
    const sensor = new Sensor(this, proc, listen, args, lines, nonJson);
    return sensor;
  }

  /** Runs the sensor to completion (for start-up errors); `wrap` e.g. a setpriv prefix. */
  runSensor(args: string[], opts: { wrap?: string[]; timeoutMs?: number } = {}): Promise<ExecResult> {
    const full = [this.sensorMain, 'live', '--log-format', 'json', ...args];
    const [cmd, ...rest] = opts.wrap && opts.wrap.length > 0 ? [...opts.wrap, process.execPath, ...full] : [process.execPath, ...full];
    return this.exec(this.tgtNs, cmd!, rest, { timeoutMs: opts.timeoutMs ?? 20_000, env: this.sensorEnv() });
  }

  /** GET a URL from inside a namespace with curl; status 0 when nothing answered. */
  async httpGet(ns: string, url: string, query?: Record<string, string>): Promise<{ status: number; body: string }> {
    const args = ['-s', '-m', '5', '-o', '-', '-w', '\n%{http_code}'];
    if (query) {
      args.push('-G');
      for (const [k, v] of Object.entries(query)) args.push('--data-urlencode', `${k}=${v}`);
    }
    args.push(url);
    const r = await this.exec(ns, 'curl', args, { timeoutMs: 10_000 });
    const nl = r.stdout.lastIndexOf('\n');
    const status = Number(r.stdout.slice(nl + 1)) || 0;
    return { status, body: r.stdout.slice(0, Math.max(nl, 0)) };
  }

  /** Waits until something listens on `port` in `ns`. */
  async waitListen(ns: string, proto: 'tcp' | 'udp', port: number, timeoutMs = 10_000): Promise<void> {
    await waitUntil(
      `${proto}/${port} listening in ${ns}`,
      async () => {
        const r = await this.exec(ns, 'ss', [proto === 'tcp' ? '-Hltn' : '-Hlun', `sport = :${port}`], { timeoutMs: 5000 });
        return r.stdout.trim() !== '';
      },
      { timeoutMs },
    );
  }

  /** A TCP port nothing listens on in `ns`, from `from` upwards. */
  async freePort(ns: string, from: number): Promise<number> {
    const r = await this.exec(ns, 'ss', ['-Htan'], { timeoutMs: 5000 });
    const used = new Set([...r.stdout.matchAll(/:(\d+)\s/g)].map((m) => Number(m[1])));
    for (let p = from; p < 65535; p++) if (!used.has(p)) return p;
    throw new Error('no free port');
  }

  /** An interface counter (/sys/class/net/IF/statistics/NAME) as seen inside `ns`. */
  async ifStat(ns: string, dev: string, counter: string): Promise<number> {
    const r = await this.exec(ns, 'cat', [`/sys/class/net/${dev}/statistics/${counter}`], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`cannot read ${dev}/${counter} in ${ns}: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(2000)));
  }

  /** Stops everything and deletes the namespaces and the scratch directory. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.stopAll().catch(() => {});
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.procs) if (p.running()) p.kill('SIGKILL');
    for (const ns of this.namespaces) deleteNamespace(ns);
    try {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    } catch {}
    liveLabs.delete(this);
  }

  /** Names of this lab's namespaces that still exist (for checking the teardown). */
  remainingNamespaces(): string[] {
    const all = listNamespaces();
    return this.namespaces.filter((n) => all.includes(n));
  }
}

// ---------------------------------------------------------------------------
// Prometheus (Debian's `prometheus` binary) inside a lab namespace

export interface Prometheus {
  proc: BgProcess;
  url: string;
  ns: string;
  dir: string;
}

/**
 * Starts Prometheus in `ns`: scrapes `target` (HOST:PORT, job "scanwatch")
 * every second, evaluates `ruleFiles` every second, keeps its TSDB in a
 * temporary directory and serves its API on 127.0.0.1:`port` in that
 * namespace. Resolves once /-/ready answers 200.
 */
export async function startPrometheus(lab: Lab, opts: { ns: string; target: string; ruleFiles: string[]; port: number }): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(lab.tmp, 'prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: scanwatch',
    '    static_configs:',
    `      - targets: [${JSON.stringify(opts.target)}]`,
    '',
  ].join('\n');
  checkLabArgs([config]);
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, config);
  const listen = `127.0.0.1:${opts.port}`;
  const proc = lab.bg(opts.ns, 'prometheus', 'prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${listen}`,
    '--log.level=warn',
  ]);
  const url = `http://${listen}`;
  await waitUntil(
    'prometheus /-/ready',
    async () => {
      if (!proc.running()) throw new Error(`prometheus exited ${JSON.stringify(proc.exitInfo)}: ${proc.stderr.trim().split('\n').slice(-5).join(' | ')}`);
      return (await lab.httpGet(opts.ns, `${url}/-/ready`)).status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 250, describe: () => `prometheus stderr: ${proc.stderr.trim().split('\n').slice(-5).join(' | ')}` },
  );
  return { proc, url, ns: opts.ns, dir };
}

/** GET a Prometheus HTTP API path (e.g. /api/v1/alerts) and return its `data`. */
export async function promApi(lab: Lab, prom: Prometheus, apiPath: string, query?: Record<string, string>): Promise<unknown> {
  const r = await lab.httpGet(prom.ns, `${prom.url}${apiPath}`, query);
  if (r.status !== 200) throw new Error(`prometheus ${apiPath} answered ${r.status}: ${r.body.slice(0, 300)}`);
  const j = JSON.parse(r.body) as { status: string; data: unknown };
  if (j.status !== 'success') throw new Error(`prometheus ${apiPath}: ${r.body.slice(0, 300)}`);
  return j.data;
}
