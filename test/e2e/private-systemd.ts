/**
 * A private systemd (the distribution's /lib/systemd/systemd, a real system
 * manager) booted for one test inside a lab's target network namespace, so
 * that a unit file can be started, restarted and stopped by systemd itself
 * on a machine whose PID 1 is not systemd (a container, a CI VM).
 *
 * How it is isolated (systemd's "container" mode, the way systemd-nspawn
 * runs it, done by hand):
 *
 *  - network: `ip netns exec <lab target ns>` (through Lab.bg): the manager and
 *    every service it starts see only the lab's interfaces; /sys is the
 *    namespace's own sysfs, so /sys/class/net lists the lab's devices.
 *  - cgroups: in every hierarchy the test process is in (cgroup2 and, on a
 *    host with the v1 "hybrid" layout such as this one, each v1 hierarchy),
 *    the manager's process is moved into a fresh child cgroup `swsd-<pid>`
 *    of the test's own cgroup there (so every limit the host puts on the
 *    test still applies), then gets a cgroup namespace rooted there. systemd
 *    mounts the hierarchies itself (hybrid, as the kernel's controllers are
 *    bound to v1 here) and sees `swsd-<pid>` as "/": init.scope,
 *    system.slice and the service's cgroup are created below it, never
 *    beside anything of the host's, and removed with it.
 *  - PID, mount, UTS, IPC namespaces (`unshare`): systemd is PID 1 of its own
 *    PID namespace (what it needs to act as a system manager); killing it
 *    kills everything in that namespace (the kernel's rule for a PID
 *    namespace's init). `--kill-child` kills it when the unshare process
 *    dies, and Lab.destroy() kills every process left in the network
 *    namespace anyway.
 *  - file system: in that mount namespace the root is remounted read-only,
 *    and /run, /tmp, /var/tmp are fresh tmpfs: nothing the manager or its
 *    services do can change a host file (e.g. no systemd-tmpfiles cleaning
 *    the host's /tmp). The units come from one directory only
 *    (SYSTEMD_UNIT_PATH, bound at /run/swsd-units), the generators directory
 *    is hidden (no units made from the host's /etc/fstab), and the manager
 *    starts `swsd.target`, which pulls in nothing but journald: no getty, no
 *    udev, no tmpfiles, no mounts.
 *  - the checkout is bound at /opt/scanwatch (on a tmpfs over /opt), the
 *    path the shipped unit's ExecStart= names, so the unit runs as shipped
 *    even when the checkout lives under /root or /home (which the unit's
 *    ProtectHome=yes hides).
 *  - PID 1 logs to its journal; what it writes to /dev/console (before
 *    journald runs) goes to a file in the lab's scratch directory, bound over
 *    /dev/console in that namespace. /dev/kmsg is /dev/null there: nothing in
 *    the private instance reads or writes the host's kernel log.
 *
 * The test talks to the manager with the host's systemctl/journalctl run
 * through `nsenter` into all its namespaces: they find its private bus
 * socket (/run/systemd/private) and its journal (/run/log/journal) there.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type BgProcess, ExitCleanup, type Lab, waitUntil } from './lab.js';

/** Units every private manager gets: an empty sysinit/basic/shutdown and a target that wants journald only. */
const BASE_UNITS: Record<string, string> = {
  'swsd.target': '[Unit]\nDescription=scanwatch e2e manager: journald and what the test starts, nothing else\nWants=systemd-journald.socket systemd-journald.service\n',
  // Services' default dependencies (Requires=sysinit.target, After=basic.target,
  // Conflicts=shutdown.target) need these to exist; empty on purpose.
  'sysinit.target': '[Unit]\nDescription=sysinit (empty in the e2e manager)\nDefaultDependencies=no\n',
  'basic.target': '[Unit]\nDescription=basic (empty in the e2e manager)\nDefaultDependencies=no\n',
  'shutdown.target': '[Unit]\nDescription=shutdown (empty in the e2e manager)\nDefaultDependencies=no\n',
};
/** Debian's own journald units, copied as they are. */
const JOURNALD_UNITS = ['systemd-journald.service', 'systemd-journald.socket', 'systemd-journald-dev-log.socket'];
const SYSTEM_UNIT_DIR = '/lib/systemd/system';
const SYSTEMD = '/lib/systemd/systemd';

/** Stage 1, run by `ip netns exec`: own cgroups, then the namespaces of stage 2. */
const STAGE1 = `#!/bin/sh
set -eu
# ip netns exec gave us a private mount namespace with a fresh /sys, where
# /sys/fs/cgroup is an empty directory: mount each hierarchy there in turn
# to move ourselves into a cgroup of our own (args: TYPE|OPTIONS|DIR ... --).
while [ "$1" != -- ]; do
  type="\${1%%|*}"; rest="\${1#*|}"; opts="\${rest%%|*}"; dir="\${rest#*|}"; shift
  if [ "$type" = cgroup2 ]; then mount -t cgroup2 cgroup2 /sys/fs/cgroup; else mount -t cgroup -o "$opts" cgroup /sys/fs/cgroup; fi
  mkdir "/sys/fs/cgroup$dir"
  # a v1 cpuset takes no task until it has CPUs and memory nodes
  if [ "$type" = cgroup ] && [ -f "/sys/fs/cgroup$dir/cpuset.cpus" ]; then
    cat "/sys/fs/cgroup$dir/../cpuset.cpus" > "/sys/fs/cgroup$dir/cpuset.cpus"
    cat "/sys/fs/cgroup$dir/../cpuset.mems" > "/sys/fs/cgroup$dir/cpuset.mems"
  fi
  echo $$ > "/sys/fs/cgroup$dir/cgroup.procs"
  umount /sys/fs/cgroup
done
shift
exec unshare --pid --fork --kill-child --mount --cgroup --uts --ipc --propagation private "$@"
`;

/** Stage 2: PID 1 of the new PID namespace; sets up the file system, then becomes systemd. */
const STAGE2 = `#!/bin/sh
set -eu
units="$1"; checkout="$2"; console="$3"
mount --make-rprivate /
mount -t proc proc /proc
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/swsd-units
mount --bind "$units" /run/swsd-units
mount --bind "$console" /dev/console
# the host's kernel log is none of its business: journald would read it, and
# anything in here that logs to kmsg would write into it
mount --bind /dev/null /dev/kmsg
mkdir -p /run/systemd/journald.conf.d
printf '[Journal]\nReadKMsg=no\n' > /run/systemd/journald.conf.d/e2e.conf
# (held under /run first: the checkout may itself live below /opt)
mkdir /run/swsd-checkout
mount --bind "$checkout" /run/swsd-checkout
mount -t tmpfs -o mode=0755 tmpfs /opt
mkdir /opt/scanwatch
mount --move /run/swsd-checkout /opt/scanwatch
mount -o remount,bind,ro /opt/scanwatch
# everything else read-only: the manager and its services change no host file
mount -o remount,bind,ro /
for d in /tmp /var/tmp /usr/lib/systemd/system-generators; do mount -t tmpfs -o mode=0755 tmpfs "$d"; done
exec env -i container=scanwatch-e2e PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_UNIT_PATH=/run/swsd-units \\
  ${SYSTEMD} --system --unit=swsd.target --log-target=journal --log-level=info --show-status=no
`;

function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One cgroup hierarchy the test process is in, and the manager's cgroup in it. */
interface CgroupSpec {
  type: 'cgroup' | 'cgroup2';
  /** mount options of a v1 hierarchy (its controllers, or none,name=...) */
  opts: string;
  /** the test process's cgroup in it */
  parent: string;
}

/** The hierarchies of this process, from /proc/self/cgroup ("ID:CONTROLLERS:PATH"). */
function cgroupHierarchies(): CgroupSpec[] {
  const out: CgroupSpec[] = [];
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') out.push({ type: 'cgroup2', opts: '', parent: m[3]! });
    else if (m[2] !== '') out.push({ type: 'cgroup', opts: m[2]!.startsWith('name=') ? `none,${m[2]}` : m[2]!, parent: m[3]! });
  }
  return out;
}

const cgDir = (spec: CgroupSpec, name: string): string => path.posix.join(spec.parent, name);

/** Runs `script` with one hierarchy mounted at /sys/fs/cgroup in a throw-away mount namespace. */
function inHierarchy(spec: CgroupSpec, script: string): string {
  const mount = spec.type === 'cgroup2' ? 'mount -t cgroup2 cgroup2 /sys/fs/cgroup' : `mount -t cgroup -o '${spec.opts}' cgroup /sys/fs/cgroup`;
  return execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${mount} && ${script}`], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Removes the cgroup tree `name` (deepest first) in every hierarchy; its processes must be gone. */
function removeCgroups(name: string): void {
  if (!/^swsd-\d+$/.test(name)) throw new Error(`private systemd: refusing to remove cgroup ${name}`);
  for (const spec of cgroupHierarchies()) {
    const dir = `/sys/fs/cgroup${cgDir(spec, name)}`;
    try {
      inHierarchy(spec, `if [ -d '${dir}' ]; then find '${dir}' -depth -type d -exec rmdir {} +; fi`);
    } catch {}
  }
}

/** Names of this manager's cgroups that still exist, as HIERARCHY:PATH. */
function existingCgroups(name: string): string[] {
  const left: string[] = [];
  for (const spec of cgroupHierarchies()) {
    try {
      if (inHierarchy(spec, `test -d '/sys/fs/cgroup${cgDir(spec, name)}' && echo yes`).trim() === 'yes') left.push(`${spec.opts || 'cgroup2'}:${cgDir(spec, name)}`);
    } catch {}
  }
  return left;
}

/** Cgroups of earlier runs whose test process is gone. */
function removeStaleCgroups(): void {
  const names = new Set<string>();
  for (const spec of cgroupHierarchies()) {
    try {
      for (const n of inHierarchy(spec, `ls '/sys/fs/cgroup${spec.parent}'`).split('\n')) if (/^swsd-\d+$/.test(n.trim())) names.add(n.trim());
    } catch {}
  }
  for (const n of names) {
    const pid = Number(n.slice(5));
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // still running
    } catch {}
    removeCgroups(n);
  }
}

export interface JournalEntry {
  message: string;
  pid: number | null;
  /** 'stdout' for a service's own output, 'journal' for systemd's messages about it. */
  transport: string;
  /** Parsed when the message is a JSON object (the sensor's log lines). */
  json: Record<string, unknown> | null;
  realtimeUs: number;
  /** syslog priority the journal gave the line (6 info unless the line began with "<N>"). */
  priority: number;
}

const live = new ExitCleanup<PrivateSystemd>();

export class PrivateSystemd {
  /** Host PID of the manager (PID 1 in its own namespace). */
  pid1 = 0;
  private destroyed = false;

  private constructor(
    readonly lab: Lab,
    readonly proc: BgProcess,
    readonly unitDir: string,
    readonly consoleLog: string,
    readonly cgroup: string,
  ) {}

  /**
   * Boots the manager in `lab`'s target namespace with the units in
   * `units` (file name -> content; drop-ins as "NAME.d/FILE.conf") besides
   * the base units; resolves once `systemctl is-system-running` says
   * running. `checkout` is bound at /opt/scanwatch.
   */
  static async boot(lab: Lab, checkout: string, units: Record<string, string>): Promise<PrivateSystemd> {
    if (!fs.existsSync(SYSTEMD)) throw new Error(`private systemd: ${SYSTEMD} is missing (apt-get install -y systemd)`);
    removeStaleCgroups();
    const dir = path.join(lab.tmp, 'systemd');
    const unitDir = path.join(dir, 'units');
    fs.mkdirSync(unitDir, { recursive: true });
    for (const u of JOURNALD_UNITS) fs.copyFileSync(path.join(SYSTEM_UNIT_DIR, u), path.join(unitDir, u));
    for (const [name, text] of Object.entries({ ...BASE_UNITS, ...units })) {
      fs.mkdirSync(path.dirname(path.join(unitDir, name)), { recursive: true });
      fs.writeFileSync(path.join(unitDir, name), text);
    }
    fs.writeFileSync(path.join(dir, 'stage1.sh'), STAGE1, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'stage2.sh'), STAGE2, { mode: 0o755 });
    const consoleLog = path.join(dir, 'pid1.log');
    fs.writeFileSync(consoleLog, '');
    const cgroup = `swsd-${process.pid}`;
    removeCgroups(cgroup);
    const specs = cgroupHierarchies().map((c) => `${c.type}|${c.opts}|${cgDir(c, cgroup)}`);
    const proc = lab.bg(lab.tgtNs, 'systemd', path.join(dir, 'stage1.sh'), [...specs, '--', path.join(dir, 'stage2.sh'), unitDir, checkout, consoleLog]);
    const sd = new PrivateSystemd(lab, proc, unitDir, consoleLog, cgroup);
    live.add(sd);
    try {
      // proc.pid is `unshare` (ip netns exec and stage 1 exec into it); PID 1 is its only child
      sd.pid1 = await waitUntil(
        'the private systemd process',
        () => {
          if (!proc.running()) throw new Error(`private systemd: stage 1 exited ${JSON.stringify(proc.exitInfo)}: ${proc.stderr.trim()}`);
          try {
            const kids = fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
            if (kids.length !== 1) return undefined;
            return fs.readlinkSync(`/proc/${kids[0]}/exe`).endsWith('/systemd') ? kids[0] : undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 20_000, intervalMs: 100, describe: () => `stderr: ${proc.stderr.trim()}; console: ${sd.console().slice(-2000)}` },
      );
      await waitUntil(
        'the private systemd to be running',
        async () => {
          if (!proc.running()) throw new Error(`private systemd exited ${JSON.stringify(proc.exitInfo)}: ${proc.stderr.trim()}`);
          const r = await sd.systemctl(['is-system-running']);
          return r.stdout.trim() === 'running' ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, describe: () => `console: ${sd.console().slice(-3000)}` },
      );
    } catch (err) {
      sd.destroySync();
      throw err;
    }
    return sd;
  }

  /** What PID 1 wrote to its console. */
  console(): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** Runs a command in all of the manager's namespaces (as its PID 1 sees the system). */
  enter(cmd: string, args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }> {
    if (this.destroyed || this.pid1 === 0) throw new Error('private systemd: not running');
    return run('nsenter', ['-t', String(this.pid1), '-a', cmd, ...args], timeoutMs);
  }

  /** systemctl against the private manager (never the host's). */
  systemctl(args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.enter('systemctl', ['--no-pager', ...args], timeoutMs);
  }

  /** `systemctl show -p ...` as a record. */
  async show(unit: string, props: string[]): Promise<Record<string, string>> {
    const r = await this.systemctl(['show', unit, ...props.flatMap((p) => ['-p', p])]);
    if (r.code !== 0) throw new Error(`systemctl show ${unit}: ${r.stderr.trim()}`);
    const out: Record<string, string> = {};
    for (const line of r.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return out;
  }

  /** The journal of `unit` (systemd's messages about it and its processes' output), oldest first. */
  async journal(unit: string): Promise<JournalEntry[]> {
    const r = await this.enter('journalctl', ['--no-pager', '-o', 'json', '-u', unit], 30_000);
    if (r.code !== 0 && r.stdout === '') throw new Error(`journalctl -u ${unit}: ${r.stderr.trim()}`);
    const out: JournalEntry[] = [];
    for (const line of r.stdout.split('\n')) {
      if (line === '') continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      const raw = e.MESSAGE;
      const message = Array.isArray(raw) ? Buffer.from(raw as number[]).toString('utf8') : String(raw ?? '');
      let json: Record<string, unknown> | null = null;
      if (message.startsWith('{')) {
        try {
          const o = JSON.parse(message) as unknown;
          if (o && typeof o === 'object' && !Array.isArray(o)) json = o as Record<string, unknown>;
        } catch {}
      }
      out.push({ message, pid: e._PID !== undefined ? Number(e._PID) : null, transport: String(e._TRANSPORT ?? ''), json, realtimeUs: Number(e.__REALTIME_TIMESTAMP ?? 0), priority: Number(e.PRIORITY ?? 6) });
    }
    return out;
  }

  /** Kills the manager (and with it its whole PID namespace) and removes its cgroups. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (this.pid1 !== 0) {
      try {
        process.kill(this.pid1, 'SIGKILL');
      } catch {}
    }
    this.proc.kill('SIGKILL');
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 5000))]);
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.pid1 !== 0) {
      try {
        process.kill(this.pid1, 'SIGKILL');
      } catch {}
    }
    this.proc.kill('SIGKILL');
    // the PID namespace's processes are gone once its init is reaped; wait for the cgroups to empty
    for (let i = 0; i < 50; i++) {
      removeCgroups(this.cgroup);
      if (this.remainingCgroups().length === 0) break;
      execFileSync('sleep', ['0.1']);
    }
    live.delete(this);
  }

  /** This manager's cgroups that still exist (for checking the teardown). */
  remainingCgroups(): string[] {
    return existingCgroups(this.cgroup);
  }
}
