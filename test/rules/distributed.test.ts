/** The many-source verdicts on their own: distributed scan test, decoy keys, and which source is judged real. */
import { describe, it, expect } from 'vitest';
import { decoyKey, defaultDistributedConfig, isDistributedScan, realMember } from '../../src/rules/distributed.js';

const cfg = defaultDistributedConfig();

describe('distributed scans', () => {
  const split = { ports: 323, contributors: 64, contacts: 323, maxMemberContacts: 8, answered: 2 };
  it('many ports split among many sources, mostly failing, is a distributed scan', () => {
    expect(isDistributedScan(split, cfg)).toBe(true);
  });
  it('not with too few ports, too few sources, one source doing most of it, or mostly answered contacts', () => {
    expect(isDistributedScan({ ...split, ports: 99 }, cfg)).toBe(false);
    expect(isDistributedScan({ ...split, contributors: 7 }, cfg)).toBe(false);
    expect(isDistributedScan({ ...split, maxMemberContacts: 200 }, cfg)).toBe(false);
    expect(isDistributedScan({ ...split, answered: 200 }, cfg)).toBe(false);
  });
});

describe('decoys and the real source', () => {
  it('decoy copies share a key: technique, first host and first port', () => {
    expect(decoyKey(0, 5, 80)).toBe(decoyKey(0, 5, 80));
    expect(decoyKey(0, 5, 80)).not.toBe(decoyKey(0, 5, 81));
    expect(decoyKey(0, 5, 80)).not.toBe(decoyKey(1, 5, 80));
  });
  it('decoys were sent SYN-ACKs and never reset them: the source that did is real, even with fewer probes', () => {
    const members = [
      { src: 'decoy1', probes: 120, answers: 2, answeredItself: 0 },
      { src: 'real', probes: 100, answers: 2, answeredItself: 2 },
      { src: 'decoy2', probes: 130, answers: 2, answeredItself: 0 },
    ];
    expect(members[realMember(members)]!.src).toBe('real');
  });
  it('with no source shown spoofed (a distributed scan, every source resets its own SYN-ACKs), the most active is src', () => {
    const members = [
      { src: 'a', probes: 5, answers: 1, answeredItself: 1 },
      { src: 'b', probes: 8, answers: 0, answeredItself: 0 },
      { src: 'c', probes: 5, answers: 0, answeredItself: 0 },
    ];
    expect(members[realMember(members)]!.src).toBe('b');
  });
  it('among equals, the one that answered SYN-ACKs itself, then the lower address, whatever order the members come in', () => {
    const equals = [
      { src: '198.18.7.13', probes: 4, answers: 0, answeredItself: 0 },
      { src: '198.18.7.100', probes: 4, answers: 0, answeredItself: 0 },
      { src: '198.18.7.12', probes: 4, answers: 0, answeredItself: 0 },
    ];
    for (const order of [equals, [...equals].reverse(), [equals[1]!, equals[2]!, equals[0]!]]) expect(order[realMember(order)]!.src).toBe('198.18.7.12');
    const oneAnswered = [
      { src: '198.18.0.100', probes: 5, answers: 0, answeredItself: 0 },
      { src: '198.18.0.64', probes: 5, answers: 2, answeredItself: 2 },
    ];
    expect(oneAnswered[realMember(oneAnswered)]!.src).toBe('198.18.0.64');
  });
});
