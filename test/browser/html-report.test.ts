/**
 * The HTML report in a real browser: Debian's chromium, headless, driven
 * by playwright-core (no browser download: executablePath /usr/bin/chromium).
 * Renders the report of all bundled captures with the network cut off,
 * checks every plot is drawn (pixels of the series colours on each canvas),
 * the table sorts, and keeps a screenshot in test/browser/out/.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cli, ensureBuilt, repo } from '../cli/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.join(repo, 'test/browser/out');
const captures = fs
  .readdirSync(path.join(repo, 'test/pcaps'))
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => path.join('test/pcaps', f));

let browser: Browser;
let page: Page;
let html = '';
let scans = 0;
const requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  expect(fs.existsSync(CHROMIUM), 'Debian chromium is needed (scripts/test.sh installs it)').toBe(true);
  expect(captures.length).toBeGreaterThanOrEqual(20);
  fs.mkdirSync(OUT, { recursive: true });
  const [r, j] = await Promise.all([cli(['analyze', ...captures, '--format', 'html']), cli(['analyze', ...captures, '--format', 'json'])]);
  expect(r.code, r.stderr).toBe(0);
  html = r.stdout;
  scans = (JSON.parse(j.stdout) as { detections: unknown[] }).detections.length;
  expect(scans).toBe(16);
  const file = path.join(OUT, 'report.html');
  fs.writeFileSync(file, html);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The report must need nothing but itself: every other request is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `file://${file}`) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('canvas');
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

/** Pixels on each canvas within a small distance of one of `colours` (rgb). */
async function colouredPixels(selector: string, colours: [number, number, number][]): Promise<number[]> {
  return page.$$eval(
    selector,
    (canvases, cols) =>
      (canvases as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]! < 128) continue;
          for (const [r, g, b] of cols) {
            if (Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - g) + Math.abs(d[i + 2]! - b) < 30) {
              n++;
              break;
            }
          }
        }
        return n;
      }),
    colours,
  );
}

describe('HTML report in headless Chromium', () => {
  it('is one self-contained file: plotting library inlined, no request leaves the page', () => {
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).toContain('uPlot');
    expect(requests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('draws the timeline and one port-by-time plot per scan, with data on every plot', async () => {
    const plots = await page.$$('.plot canvas');
    expect(plots).toHaveLength(scans);
    // Series colour of the per-scan plots: #1f77b4.
    const perScan = await colouredPixels('.plot canvas', [[31, 119, 180]]);
    expect(perScan).toHaveLength(scans);
    for (const n of perScan) expect(n).toBeGreaterThan(20);
    const palette: [number, number, number][] = [
      [31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189], [255, 127, 14],
      [23, 190, 207], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34],
    ];
    const timeline = await colouredPixels('#timeline canvas', palette);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toBeGreaterThan(200);
  });

  it('shows for each scan its tool, ATT&CK technique, targets, open ports / live hosts', async () => {
    const cards = await page.$$eval('.scan', (els) => els.map((e) => (e as HTMLElement).innerText));
    expect(cards).toHaveLength(scans);
    for (const c of cards) {
      expect(c).toMatch(/ATT&CK\s+T1(046|018|595\.00[12])/);
      expect(c).toMatch(/tool\s+\S+/);
      expect(c).toMatch(/targets\s+\S+/);
      expect(c).toMatch(/live hosts/);
    }
    expect(cards.find((c) => c.includes('nmap-syn.pcap') && c.includes('tcp-syn'))).toMatch(/open ports\s+22, 80, 443/);
  });

  it('sorts the detections table by a column when its header is clicked', async () => {
    const probes = async (): Promise<number[]> => page.$$eval('table.detections tbody tr', (rows) => rows.map((r) => Number((r as HTMLTableRowElement).cells[8]!.textContent)));
    const header = page.locator('table.detections th', { hasText: /^probes$/ });
    await header.click();
    const asc = await probes();
    expect(asc).toHaveLength(scans);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await header.click();
    const desc = await probes();
    expect(desc).toEqual([...asc].sort((a, b) => b - a));
  });

  it('keeps a screenshot as a test artefact', async () => {
    const shot = path.join(OUT, 'report.png');
    await page.screenshot({ path: shot });
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    await page.screenshot({ path: path.join(OUT, 'report-full.png'), fullPage: true });
  });
});
