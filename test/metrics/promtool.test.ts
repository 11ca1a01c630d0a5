/**
 * The shipped Prometheus files, checked by Prometheus's own tool.
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promtool } from './exposition.js';

const dir = fileURLToPath(new URL('../../prometheus/', import.meta.url));
const alerts = `${dir}alerts.yml`;

describe('prometheus/ files', () => {
  it('promtool check rules prometheus/alerts.yml', () => {
    const r = promtool(['check', 'rules', alerts]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: 12 rules found/);
  });

  it('promtool test rules prometheus/alerts.test.yml', () => {
    const r = promtool(['test', 'rules', `${dir}alerts.test.yml`]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it('promtool check config prometheus/prometheus.example.yml (it loads alerts.yml)', () => {
    const r = promtool(['check', 'config', `${dir}prometheus.example.yml`]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it('every alert has a severity, a summary and a description; every alert is unit-tested firing', () => {
    const text = fs.readFileSync(alerts, 'utf8');
    const names = [...text.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!);
    expect(names.length).toBe(12);
    const blocks = text.split(/^\s+- alert: /m).slice(1);
    for (const [i, b] of blocks.entries()) {
      expect(b, names[i]).toMatch(/\n\s+severity: (info|warning|critical)\n/);
      expect(b, names[i]).toMatch(/\n\s+summary: /);
      expect(b, names[i]).toMatch(/\n\s+description: /);
    }
    const tests = fs.readFileSync(`${dir}alerts.test.yml`, 'utf8');
    // An alert is tested firing when some eval of it lists exp_alerts with entries.
    const firing = new Set([...tests.matchAll(/alertname: (\S+)\n\s+exp_alerts:\n\s+- exp_labels:/g)].map((m) => m[1]!));
    expect([...firing].sort()).toEqual([...names].sort());
    expect(tests).toMatch(/exp_alerts: \[\]/);
  });

  it('a broken rule file is caught (the check is live)', () => {
    const tmp = fs.mkdtempSync('/tmp/scanwatch-rules-');
    try {
      fs.writeFileSync(`${tmp}/bad.yml`, 'groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(scanwatch_packets_total[5m] == 0\n');
      const r = promtool(['check', 'rules', `${tmp}/bad.yml`]);
      expect(r.status).not.toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
