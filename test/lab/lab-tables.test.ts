/**
 * The fixture recorder's own checks (scripts/lab/test_lab.py, Python's
 * unittest, no root): the scenario tables must reproduce every committed
 * NAME.expected.json byte for byte (the expected results are the tables',
 * taken from what each scenario sends, never from scanwatch), and the lab's
 * address guard must refuse anything outside 198.18.0.0/15 and 2001:db8::/32.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPTS = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'scripts');

describe('scripts/lab', () => {
  it('its tables give the committed expected files, and its address guard holds (python3 -m unittest lab.test_lab)', () => {
    const r = spawnSync('python3', ['-m', 'unittest', '-v', 'lab.test_lab'], { cwd: SCRIPTS, encoding: 'utf8', env: { ...process.env, PYTHONPATH: SCRIPTS, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(r.error, 'python3 runs').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ran [1-9]\d* tests?/);
    expect(r.stderr).toMatch(/\nOK\s*$/);
  });
});
