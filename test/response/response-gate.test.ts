/**
 * The gate in front of the response hooks: an unverified source or a
 * forbidden address class never reaches a hook unless the operator asked;
 * withheld events are counted and logged at most once per source; a scan
 * verified after its start is handed over then.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { AddressGuard } from '../../src/response/address-class.js';
import { hookEvent, ResponseGate, type ResponseGateOptions } from '../../src/response/response-gate.js';
import { CommandHook } from '../../src/response/command-hook.js';
import { registerHookMetrics } from '../../src/metrics/hook-metrics.js';
import { CidrSet } from '../../src/rules/cidr.js';

interface Scan {
  line: Record<string, unknown>;
}

function setup(opts: Partial<ResponseGateOptions<Scan>> & { homeNet?: string[]; actOnHomeNet?: boolean } = {}) {
  const handed: Record<string, unknown>[] = [];
  const logged: { fields: Record<string, unknown>; message: string }[] = [];
  const gate = new ResponseGate<Scan>({
    hooks: [{ submit: (e) => (handed.push(e), true) }],
    addresses: new AddressGuard({
      homeNet: new CidrSet(opts.homeNet ?? ['198.18.0.2/32']),
      actOnHomeNet: opts.actOnHomeNet ?? false,
      host: { own: ['198.18.0.2', '2001:db8::2'], broadcast: ['198.18.0.255'] },
    }),
    actOnUnverified: false,
    sensor: 'lab',
    interface: 'tgt0',
    current: (s) => s.line,
    logWithheld: (fields, message) => logged.push({ fields, message }),
    ...opts,
  });
  return { gate, handed, logged };
}

const scan = (src: string, verified: boolean | undefined, extra: Record<string, unknown> = {}): Scan => ({
  line: { scan_id: `id-${src}-${Math.random()}`, src, type: 'tcp-null', direction: 'inbound', ...(verified === undefined ? {} : { source_verified: verified }), ...extra },
});

describe('ResponseGate', () => {
  it('hands over a verified source, withholds an unverified one (counted, logged)', () => {
    const { gate, handed, logged } = setup();
    const real = scan('198.18.0.1', true);
    const forged = scan('198.18.1.66', false);
    gate.started(real, real.line);
    gate.started(forged, forged.line);
    expect(handed.map((e) => e.src)).toEqual(['198.18.0.1']);
    expect(gate.counters.withheld.unverified).toBe(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toMatchObject({ event: 'hook_withheld', src: '198.18.1.66', reason: 'unverified', scan_id: forged.line.scan_id });
    expect(logged[0]!.message).toMatch(/not handing the scan from 198\.18\.1\.66 .*--hook-unverified/);
  });

  it('an event without source_verified is unverified', () => {
    const { gate, handed } = setup();
    const old = scan('198.18.1.67', undefined);
    gate.started(old, old.line);
    expect(handed).toHaveLength(0);
    expect(gate.counters.withheld.unverified).toBe(1);
  });

  it('--hook-unverified hands over unverified sources, but never a forbidden address class', () => {
    const { gate, handed } = setup({ actOnUnverified: true });
    for (const s of [scan('198.18.1.66', false), scan('127.0.0.1', false), scan('::1', true), scan('198.18.0.2', true)]) gate.started(s, s.line);
    expect(handed.map((e) => e.src)).toEqual(['198.18.1.66']);
    expect(gate.counters.withheld).toMatchObject({ unverified: 0, loopback: 2, own_address: 1 });
  });

  it('refuses loopback, own and home-net sources even when verified; --hook-home-net opens the home net only', () => {
    const { gate, handed } = setup({ homeNet: ['198.18.0.0/24'] });
    for (const src of ['127.0.0.1', '::1', '198.18.0.2', '198.18.0.255', '198.18.0.9', 'fe80::9', 'ff02::1', '0.0.0.0']) {
      const s = scan(src, true);
      gate.started(s, s.line);
    }
    expect(handed).toHaveLength(0);
    expect(gate.counters.withheld).toMatchObject({ loopback: 2, own_address: 1, broadcast: 1, home_net: 1, link_local: 1, multicast: 1, unspecified: 1 });
    const opened = setup({ homeNet: ['198.18.0.0/24'], actOnHomeNet: true });
    for (const src of ['198.18.0.9', '198.18.0.2']) {
      const s = scan(src, true);
      opened.gate.started(s, s.line);
    }
    expect(opened.handed.map((e) => e.src)).toEqual(['198.18.0.9']);
  });

  it('logs a withheld source once however many scans it starts, and at most 10 lines a second in all', () => {
    const { gate, logged } = setup();
    for (let i = 0; i < 5; i++) {
      const s = scan('198.18.1.66', false, { type: `t${i}` });
      gate.started(s, s.line);
    }
    expect(logged).toHaveLength(1);
    for (let i = 0; i < 200; i++) {
      const s = scan(`198.18.2.${i}`, false);
      gate.started(s, s.line);
    }
    expect(gate.counters.withheld.unverified).toBe(205);
    // Ten at once, then one per 100 ms: this loop takes far less than 200 ms.
    expect(logged.length).toBeLessThanOrEqual(12);
    expect(logged.length - 1 + gate.logSuppressed).toBe(200);
  });

  it('hands over a scan once a later look finds its source verified, and only once', () => {
    const { gate, handed } = setup();
    const s = scan('198.18.0.1', false);
    gate.started(s, s.line);
    gate.recheck();
    expect(handed).toHaveLength(0);
    expect(gate.watching).toBe(1);
    s.line = { ...s.line, source_verified: true, probes: 250 };
    gate.recheck();
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ event: 'scan_started', src: '198.18.0.1', source_verified: true, probes: 250, sensor: 'lab', interface: 'tgt0' });
    expect(gate.counters.verifiedLater).toBe(1);
    expect(gate.watching).toBe(0);
    gate.ended(s, s.line);
    expect(handed).toHaveLength(1);
  });

  it('a scan pushed off the full watch list is judged again at its end', () => {
    const { gate, handed } = setup({ watchLimit: 2 });
    const real = scan('198.18.0.1', false);
    gate.started(real, real.line);
    for (let i = 0; i < 5; i++) {
      const f = scan(`198.18.3.${i}`, false);
      gate.started(f, f.line);
    }
    expect(gate.watching).toBe(2);
    expect(gate.counters.watchEvicted).toBe(4);
    gate.ended(real, { ...real.line, source_verified: true });
    expect(handed.map((e) => e.src)).toEqual(['198.18.0.1']);
    expect(gate.counters.verifiedLater).toBe(1);
  });

  it('does not hand over a scan merged into another, nor an unverified end, nor anything once closed', () => {
    const { gate, handed } = setup();
    const merged = scan('198.18.0.1', false);
    gate.started(merged, merged.line);
    gate.ended(merged, { ...merged.line, source_verified: true, merged_into: 'other' });
    const never = scan('198.18.0.3', false);
    gate.started(never, never.line);
    gate.ended(never, never.line);
    gate.close();
    const late = scan('198.18.0.4', true);
    gate.started(late, late.line);
    expect(handed).toHaveLength(0);
  });

  it('looks at no more than recheckPerTick watched scans a tick', () => {
    let looks = 0;
    const { gate } = setup({
      recheckPerTick: 3,
      current: (s) => {
        looks++;
        return s.line;
      },
    });
    for (let i = 0; i < 10; i++) {
      const s = scan(`198.18.4.${i}`, false);
      gate.started(s, s.line);
    }
    gate.recheck();
    expect(looks).toBe(3);
    expect(gate.watching).toBe(10);
  });

  it('the counters are on /metrics', async () => {
    const { gate } = setup();
    const s = scan('127.0.0.1', true);
    gate.started(s, s.line);
    const registry = new Registry();
    registerHookMetrics(registry, new CommandHook({ command: 'true', timeoutMs: 1000, concurrency: 1, rate: 1 }), null, gate);
    const text = await registry.metrics();
    expect(text).toMatch(/^scanwatch_hook_withheld_total\{reason="loopback"\} 1$/m);
    expect(text).toMatch(/^scanwatch_hook_withheld_total\{reason="unverified"\} 0$/m);
    expect(text).toMatch(/^scanwatch_hook_verified_later_total 0$/m);
    expect(text).toMatch(/^scanwatch_hook_queue_drops_total\{hook="command",reason="source_share"\} 0$/m);
  });
});

describe('hookEvent', () => {
  it('puts event, src, source_verified and direction first (the order nft-block.sh reads), then the rest', () => {
    const e = hookEvent({ scan_id: 'x', type: 'tcp-syn', src: '198.18.0.1', direction: 'inbound', probes: 9 }, 'lab', 'tgt0');
    expect(JSON.stringify(e)).toBe('{"event":"scan_started","src":"198.18.0.1","source_verified":false,"direction":"inbound","sensor":"lab","interface":"tgt0","scan_id":"x","type":"tcp-syn","probes":9}');
  });
});
