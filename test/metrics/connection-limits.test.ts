/**
 * The bookkeeping behind the metrics listener's limits, without HTTP:
 * client keys (IPv4 address, IPv6 /64), the per-client table and its
 * token bucket, the slots and who gives theirs up, and the gate over real
 * loopback sockets when every slot is busy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { clientKey } from '../../src/metrics/client-address.js';
import { ClientTable } from '../../src/metrics/client-table.js';
import { ConnectionSlots } from '../../src/metrics/connection-slots.js';
import { ConnectionGate } from '../../src/metrics/connection-gate.js';
import { configuredLimits, LIMITS } from '../../src/metrics/server-limits.js';
import { parseLiveSettings } from '../../src/cli/config-schema.js';

describe('clientKey', () => {
  it('an IPv4 address is its own client, also when a dual-stack listener reports it IPv4-mapped', () => {
    expect(clientKey('198.18.0.7')).toBe('198.18.0.7');
    expect(clientKey('::ffff:198.18.0.7')).toBe('198.18.0.7');
    expect(clientKey('::ffff:c612:7')).toBe('198.18.0.7');
  });

  it('IPv6 addresses of one /64 are one client, of different /64s different ones', () => {
    const a = clientKey('2001:db8:1:2::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientKey('2001:0db8:0001:0002:0:0:0:9')).toBe(a);
    expect(clientKey('2001:db8:1:3::1')).not.toBe(a);
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
    expect(clientKey('1::5:6:7:8')).toBe('1:0:0:0::/64');
    expect(clientKey('64:ff9b::198.18.0.1')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps the zone of a link-local address: the same prefix on two links is two clients', () => {
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64%eth0');
    expect(clientKey('fe80::1%eth1')).not.toBe(clientKey('fe80::1%eth0'));
  });

  it('null for what is no address', () => {
    expect(clientKey(undefined)).toBeNull();
    expect(clientKey('')).toBeNull();
    expect(clientKey('sensor.example')).toBeNull();
    expect(clientKey('2001:db8::1::2')).toBeNull();
  });
});

describe('ClientTable', () => {
  const limits = { perClient: 2, ratePerSecond: 2, burst: 4, rememberedClients: 3 };

  it('refuses a client at its open-connection limit until one closes', () => {
    const t = new ClientTable(limits);
    expect(t.admit('a', 0)).toBeNull();
    expect(t.admit('a', 0)).toBeNull();
    expect(t.admit('a', 0)).toBe('per_client');
    expect(t.admit('b', 0)).toBeNull();
    t.release('a', 0);
    expect(t.openOf('a')).toBe(1);
    expect(t.admit('a', 0)).toBeNull();
  });

  it('a token bucket: a burst, then the rate; closing and reconnecting does not refill it', () => {
    const t = new ClientTable(limits);
    for (let i = 0; i < 4; i++) {
      expect(t.admit('a', 0)).toBeNull();
      t.release('a', 0);
    }
    expect(t.admit('a', 0)).toBe('rate');
    // Half a second at 2/s: one more.
    expect(t.admit('a', 500)).toBeNull();
    t.release('a', 500);
    expect(t.admit('a', 500)).toBe('rate');
    // Long idle: a full burst again, no more.
    for (let i = 0; i < 4; i++) {
      expect(t.admit('a', 60_000)).toBeNull();
      t.release('a', 60_000);
    }
    expect(t.admit('a', 60_000)).toBe('rate');
  });

  it('forgets a client with no open connection once its bucket is full, and remembers at most `rememberedClients`', () => {
    const t = new ClientTable(limits);
    expect(t.admit('a', 0)).toBeNull();
    expect(t.connectedClients).toBe(1);
    t.release('a', 10_000); // refilled by the time it closed: nothing to remember
    expect(t.connectedClients).toBe(0);
    expect(t.rememberedClients).toBe(0);
    for (const k of ['b', 'c', 'd', 'e', 'f']) {
      expect(t.admit(k, 20_000)).toBeNull();
      t.release(k, 20_000);
    }
    expect(t.rememberedClients).toBe(3);
    // The oldest ("b") was forgotten: it has its full burst again; "f" has not.
    let b = 0;
    while (t.admit('b', 20_000) === null) b++;
    expect(b).toBe(2); // its open-connection limit, not its rate
    expect(t.admit('f', 20_000)).toBeNull();
    t.release('f', 20_000);
    expect(t.admit('f', 20_000)).toBeNull();
    t.release('f', 20_000);
    expect(t.admit('f', 20_000)).toBeNull();
    t.release('f', 20_000);
    expect(t.admit('f', 20_000)).toBe('rate');
  });

  it('bounded whatever the clients: 100,000 distinct clients each opening and closing once', () => {
    const t = new ClientTable({ perClient: 8, ratePerSecond: 4, burst: 16, rememberedClients: 1000 });
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      if (t.admit(`c${i}`, i) !== null) refused++;
      t.release(`c${i}`, i);
    }
    expect(refused).toBe(0);
    expect(t.connectedClients).toBe(0);
    expect(t.rememberedClients).toBeLessThanOrEqual(1000);
  });

  it('rejects limits that cannot work', () => {
    expect(() => new ClientTable({ ...limits, perClient: 0 })).toThrow(RangeError);
    expect(() => new ClientTable({ ...limits, ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new ClientTable({ ...limits, burst: 0.5 })).toThrow(RangeError);
  });
});

describe('ConnectionSlots', () => {
  it('gives up the oldest connection without a request first, then the oldest idle one, never one in a request', () => {
    const s = new ConnectionSlots<string>(4);
    for (const c of ['a', 'b', 'c', 'd']) s.add(c);
    expect(s.full).toBe(true);
    expect(s.evictable()).toEqual({ connection: 'a', phase: 'awaiting_request' });
    s.requestStarted('a');
    s.requestStarted('b');
    expect(s.evictable()).toEqual({ connection: 'c', phase: 'awaiting_request' });
    s.requestStarted('c');
    s.requestStarted('d');
    expect(s.evictable()).toBeNull();
    // Idle in the order they became idle.
    s.requestEnded('b');
    s.requestEnded('a');
    expect(s.evictable()).toEqual({ connection: 'b', phase: 'idle' });
    // A new request on an idle one takes it out of reach again.
    s.requestStarted('b');
    expect(s.evictable()).toEqual({ connection: 'a', phase: 'idle' });
    s.remove('a');
    expect(s.open).toBe(3);
    expect(s.full).toBe(false);
    expect(() => s.add('e')).not.toThrow();
    expect(() => s.add('f')).toThrow(/full/);
  });

  it('counts pipelined requests: idle only when the last response is done', () => {
    const s = new ConnectionSlots<string>(1);
    s.add('a');
    s.requestStarted('a');
    s.requestStarted('a');
    s.requestEnded('a');
    expect(s.phaseOf('a')).toBe('in_request');
    s.requestEnded('a');
    expect(s.phaseOf('a')).toBe('idle');
    s.remove('a');
    expect(s.phaseOf('a')).toBeNull();
    // Events after the close change nothing.
    s.requestStarted('a');
    s.requestEnded('a');
    expect(s.open).toBe(0);
  });
});

describe('ConnectionGate over loopback sockets', () => {
  const servers: net.Server[] = [];
  const clients: net.Socket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /** A TCP server whose connections go through `gate`; `onAdmitted` sees the admitted sockets. */
  async function gated(gate: ConnectionGate, onAdmitted: (s: net.Socket) => void): Promise<number> {
    const server = net.createServer((s) => {
      if (gate.admit(s)) onAdmitted(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  function connect(port: number, from: string): Promise<{ socket: net.Socket; closed: Promise<string | null> }> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
      clients.push(socket);
      let error: string | null = null;
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? 'error'));
      const closed = new Promise<string | null>((r) => socket.on('close', () => r(error)));
      socket.on('connect', () => resolve({ socket, closed }));
      socket.on('close', () => resolve({ socket, closed }));
    });
  }

  it('when every slot holds a request in progress, a newcomer is refused as "total"; when one ends, it takes that idle slot', async () => {
    const gate = new ConnectionGate({ maxConnections: 3, perClientConnections: 8, perClientRatePerSecond: 100, perClientBurst: 100, rememberedClients: 10 });
    const admitted: net.Socket[] = [];
    const port = await gated(gate, (s) => {
      admitted.push(s);
      gate.requestStarted(s);
    });
    for (let i = 1; i <= 3; i++) await connect(port, `127.0.5.${i}`);
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.open).toBe(3);
    const late = await connect(port, '127.0.5.9');
    expect(await late.closed).toBe('ECONNRESET');
    expect(gate.counters.refused.total).toBe(1);
    // The first one's request ends: it is idle now, and gives its slot up.
    gate.requestEnded(admitted[0]!);
    const next = await connect(port, '127.0.5.9');
    await new Promise((r) => setTimeout(r, 100));
    expect(next.socket.destroyed).toBe(false);
    expect(gate.counters.evicted.idle).toBe(1);
    expect(admitted[0]!.destroyed).toBe(true);
    expect(gate.counters.accepted).toBe(4);
    expect(gate.open).toBe(3);
  });

  it('the per-client table empties as the connections close', async () => {
    const gate = new ConnectionGate({ maxConnections: 10, perClientConnections: 2, perClientRatePerSecond: 100, perClientBurst: 100, rememberedClients: 10 });
    const port = await gated(gate, () => {});
    const conns = [await connect(port, '127.0.6.1'), await connect(port, '127.0.6.1'), await connect(port, '127.0.6.2')];
    const third = await connect(port, '127.0.6.1');
    expect(await third.closed).toBe('ECONNRESET');
    expect(gate.counters.refused.per_client).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.connectedClients).toBe(2);
    for (const c of conns) c.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(gate.open).toBe(0);
    expect(gate.connectedClients).toBe(0);
  });
});

describe('the limits as settings of scanwatch live', () => {
  it('default to LIMITS; the burst is two seconds of the rate, at least the connection limit', () => {
    const s = parseLiveSettings({ interface: 'eth1' });
    const limits = configuredLimits({
      maxConnections: s['metrics-connections'],
      perClientConnections: s['metrics-client-connections'],
      perClientRatePerSecond: s['metrics-client-rate'],
    });
    expect(limits).toEqual({
      maxConnections: LIMITS.maxConnections,
      perClientConnections: LIMITS.perClientConnections,
      perClientRatePerSecond: LIMITS.perClientRatePerSecond,
      perClientBurst: LIMITS.perClientBurst,
    });
    expect(configuredLimits({ maxConnections: 100, perClientConnections: 4, perClientRatePerSecond: 0.5 }).perClientBurst).toBe(4);
    expect(configuredLimits({ maxConnections: 100, perClientConnections: 4, perClientRatePerSecond: 7.2 }).perClientBurst).toBe(15);
  });

  it('out-of-range values are errors naming the setting', () => {
    expect(() => parseLiveSettings({ interface: 'eth1', 'metrics-connections': 4 })).toThrow(/^--metrics-connections: /);
    expect(() => parseLiveSettings({ interface: 'eth1', 'metrics-client-connections': 0 })).toThrow(/^--metrics-client-connections: /);
    expect(() => parseLiveSettings({ interface: 'eth1', 'metrics-client-rate': 0 })).toThrow(/^--metrics-client-rate: /);
    expect(parseLiveSettings({ interface: 'eth1', 'metrics-client-rate': 0.5 })['metrics-client-rate']).toBe(0.5);
  });
});
