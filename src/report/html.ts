/**
 * `--format html`: one self-contained page (no network at view time). The
 * plotting library, uPlot (MIT, ~50 KB, canvas), is read from node_modules
 * when the report is written and inlined with its stylesheet; the report's
 * data is embedded as JSON. Sections: summary, a timeline of every scan by
 * scanner, one card per scan (port-by-time plot, targets, open ports, live
 * hosts, tool, ATT&CK) and a sortable table of all detections.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Report } from './report.js';
import type { ScanSample } from './scan-packets.js';

const require = createRequire(import.meta.url);

function asset(name: string): string {
  return fs.readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
}

/** Text safe inside <script>: no "</script" or "<!--" can end or confuse the element. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em; color: #222; }
h1 { font-size: 1.4em; margin: 0.2em 0; } h2 { font-size: 1.15em; margin-top: 1.5em; border-bottom: 1px solid #ccc; }
.partial { background: #fde2e2; padding: 0.5em; border: 1px solid #c33; }
.summary td { padding: 0 1em 0 0; vertical-align: top; }
.scan { border: 1px solid #ddd; border-radius: 4px; margin: 1em 0; padding: 0.5em 1em; }
.scan h3 { margin: 0.2em 0; font-size: 1.05em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0 1em; }
.facts dt { color: #555; } .facts dd { margin: 0; word-break: break-all; }
.scan-body { display: flex; flex-wrap: wrap; gap: 1em; } .scan-body > div { flex: 1 1 480px; }
table.detections { border-collapse: collapse; width: 100%; font-size: 12px; }
table.detections th, table.detections td { border: 1px solid #ddd; padding: 2px 4px; text-align: left; }
table.detections td:nth-child(10) { white-space: nowrap; }
table.detections th { background: #f3f3f3; cursor: pointer; user-select: none; }
table.detections th[aria-sort=ascending]::after { content: " \\25B2"; } table.detections th[aria-sort=descending]::after { content: " \\25BC"; }
.muted { color: #777; }
`;

/** The page's own script: draws the plots from the embedded data, makes the table sortable. */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('scanwatch-data').textContent);
  var report = data.report, samples = data.samples;
  var palette = ['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#17becf','#8c564b','#e377c2','#7f7f7f','#bcbd22'];
  // Axes in UTC, like every time in the report.
  function utc(ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); }
  function width(el) { return Math.max(320, Math.min(1150, el.clientWidth || 800)); }
  var t0 = report.first_packet ? Date.parse(report.first_packet) / 1000 : 0;

  // Timeline: one row per scanner, one bar per scan from its first to its last probe.
  var dets = report.detections;
  var scanners = [];
  dets.forEach(function (d) { if (scanners.indexOf(d.src) < 0) scanners.push(d.src); });
  var el = document.getElementById('timeline');
  if (dets.length > 0 && el) {
    var times = [];
    dets.forEach(function (d) { times.push(Date.parse(d.first_seen) / 1000, Date.parse(d.last_seen) / 1000 + 0.001); });
    times = times.filter(function (t, i, a) { return a.indexOf(t) === i; }).sort(function (a, b) { return a - b; });
    var cols = [times];
    var series = [{}];
    dets.forEach(function (d, k) {
      var row = scanners.indexOf(d.src);
      var a = Date.parse(d.first_seen) / 1000, b = Date.parse(d.last_seen) / 1000 + 0.001;
      cols.push(times.map(function (t) { return t === a || t === b ? row : null; }));
      series.push({ label: '#' + d.id + ' ' + d.src + ' ' + d.type, stroke: palette[k % palette.length], width: 8, spanGaps: true,
        points: { show: true, size: 8, fill: palette[k % palette.length] } });
    });
    new uPlot({ tzDate: utc, width: width(el), height: Math.max(160, 60 + 40 * scanners.length), series: series, legend: { show: dets.length <= 12 },
      scales: { y: { range: [-0.5, scanners.length - 0.5] } },
      axes: [{}, { size: 130, splits: function () { return scanners.map(function (_, i) { return i; }); },
        values: function (u, vals) { return vals.map(function (v) { return scanners[v] || ''; }); } }] }, cols, el);
  }

  // Per scan: probes by time, y = port (or target ordinal for sweeps).
  dets.forEach(function (d) {
    var s = samples[d.id];
    var box = document.getElementById('plot-' + d.id);
    if (!s || !box || s.t.length === 0) return;
    var idx = s.t.map(function (_, i) { return i; }).sort(function (a, b) { return s.t[a] - s.t[b]; });
    var xs = idx.map(function (i) { return s.t[i]; }), ys = idx.map(function (i) { return s.v[i]; });
    var sweep = d.type.slice(-5) === 'sweep';
    new uPlot({ tzDate: utc, width: width(box), height: 260,
      series: [{}, { label: sweep ? 'target #' : 'port', stroke: '#1f77b4', paths: function () { return null; },
        points: { show: true, size: 4, fill: '#1f77b4', stroke: '#1f77b4' } }],
      axes: [{}, { size: sweep ? 120 : 60,
        values: sweep ? function (u, vals) { return vals.map(function (v) { return s.hosts[v] || ''; }); } : undefined }] },
      [xs, ys], box);
  });

  // Sortable table: click a header; numbers sort as numbers.
  var table = document.querySelector('table.detections');
  if (table) {
    var heads = table.querySelectorAll('th');
    heads.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
          var nx = Number(x), ny = Number(y);
          var c = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
})();
`;

function list(values: (string | number)[], total: number, max = 24): string {
  if (values.length === 0) return '<span class="muted">none</span>';
  const shown = values.slice(0, max).map((v) => escapeHtml(String(v))).join(', ');
  return total > max ? `${shown}, … (${total} in all)` : shown;
}

function attackLink(id: string, name: string): string {
  const url = `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
  return `<a href="${url}">${escapeHtml(id)}</a> ${escapeHtml(name)}`;
}

const COLUMNS: [string, (d: Report['detections'][number]) => string | number][] = [
  ['id', (d) => d.id],
  ['file', (d) => d.file ?? ''],
  ['source', (d) => d.src],
  ['type', (d) => d.type],
  ['pattern', (d) => d.pattern],
  ['direction', (d) => d.direction ?? ''],
  ['targets', (d) => d.targets],
  ['ports', (d) => d.ports],
  ['probes', (d) => d.probes],
  ['first seen (UTC)', (d) => d.first_seen],
  ['duration s', (d) => d.duration_s],
  ['rate pps', (d) => d.rate_pps],
  ['tool', (d) => d.tool ?? ''],
  ['ATT&CK', (d) => d.attack.id],
  ['open ports', (d) => d.open_ports.join(' ')],
  ['live hosts', (d) => d.live_host_count],
];

export function renderHtml(report: Report, samples: Map<number, ScanSample>): string {
  const dets = report.detections;
  const out: string[] = [];
  out.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>scanwatch report: ${dets.length} scan${dets.length === 1 ? '' : 's'}</title>`);
  out.push(`<style>${asset('uPlot.min.css')}\n${STYLE}</style></head><body>`);
  out.push(`<h1>scanwatch report</h1>`);
  if (report.partial) out.push('<p class="partial">Partial report: reading was interrupted; it covers only the packets read before.</p>');
  const files = report.files.map((f) => `${escapeHtml(f.path)} <span class="muted">(${f.packets} packets, ${f.first_packet ?? '-'} .. ${f.last_packet ?? '-'}, ${f.detection_count} scan${f.detection_count === 1 ? '' : 's'})</span>`);
  out.push('<table class="summary">');
  out.push(`<tr><td>files</td><td>${files.join('<br>')}${report.merged ? ' <b>merged into one stream</b>' : ''}</td></tr>`);
  out.push(`<tr><td>packets</td><td>${report.packets} (${report.bytes} bytes)</td></tr>`);
  out.push(`<tr><td>capture time</td><td>${report.first_packet ?? '-'} .. ${report.last_packet ?? '-'} UTC</td></tr>`);
  out.push(`<tr><td>scans</td><td>${dets.length}</td></tr>`);
  if (report.decode_errors_total > 0) out.push(`<tr><td>decode errors</td><td>${report.decode_errors_total}</td></tr>`);
  for (const w of report.warnings) out.push(`<tr><td>warning</td><td>${escapeHtml(w)}</td></tr>`);
  out.push(`<tr><td>version</td><td>scanwatch ${escapeHtml(report.scanwatch_version)}</td></tr></table>`);

  out.push('<h2>Timeline of scans by scanner</h2>');
  out.push(dets.length > 0 ? '<div id="timeline"></div>' : '<p>No scans detected.</p>');

  out.push('<h2>Scans</h2>');
  for (const d of dets) {
    const s = samples.get(d.id);
    const sweep = d.type.endsWith('sweep');
    out.push(`<div class="scan" id="scan-${d.id}"><h3>#${d.id} ${escapeHtml(d.src)} ${escapeHtml(d.type)} (${escapeHtml(d.pattern)})</h3><div class="scan-body"><div>`);
    out.push('<dl class="facts">');
    const fact = (k: string, v: string): void => {
      out.push(`<dt>${k}</dt><dd>${v}</dd>`);
    };
    if (d.file !== undefined && d.file !== null) fact('file', escapeHtml(d.file));
    fact('ATT&amp;CK', attackLink(d.attack.id, d.attack.name));
    fact('tool', escapeHtml(d.tool ?? 'unknown'));
    if (d.direction !== undefined) fact('direction', `${escapeHtml(d.direction)} / ${escapeHtml(d.severity ?? '')}`);
    fact('time', `${d.first_seen} .. ${d.last_seen} (${d.duration_s} s, ${d.rate_pps} probes/s)`);
    fact('probes', `${d.probes}, to ${d.targets} host${d.targets === 1 ? '' : 's'}${sweep ? '' : ` and ${d.ports} port${d.ports === 1 ? '' : 's'}`}${d.counts_exact ? '' : ' (estimated)'}`);
    fact('targets', list(d.targets_sample, d.targets));
    if (!sweep) fact('open ports', list(d.open_ports, d.open_ports.length));
    if (!sweep) fact('open services', list(d.open_services, d.open_service_count));
    fact('live hosts', list(d.live_hosts, d.live_host_count));
    fact('answers', `${d.answered} answered, ${d.rejected} rejected, ${d.unanswered} unanswered`);
    fact('detected', `after ${d.detected_after_probes} probes at ${d.detected_at} (${escapeHtml(d.reason)})`);
    out.push('</dl></div><div>');
    if (s !== undefined && s.t.length > 0) {
      const note = s.t.length < s.probesSeen ? ` (${s.t.length} of ${s.probesSeen} probes, evenly sampled)` : '';
      out.push(`<div class="muted">${sweep ? 'targets' : 'ports'} by time${note}</div><div class="plot" id="plot-${d.id}"></div>`);
    } else {
      out.push('<div class="muted">no probe sample</div>');
    }
    out.push('</div></div></div>');
  }

  out.push('<h2>All detections</h2><table class="detections"><thead><tr>');
  for (const [name] of COLUMNS) out.push(`<th>${escapeHtml(name)}</th>`);
  out.push('</tr></thead><tbody>');
  for (const d of dets) {
    out.push('<tr>');
    for (const [, get] of COLUMNS) {
      const v = String(get(d));
      out.push(`<td data-v="${escapeHtml(v)}">${escapeHtml(v)}</td>`);
    }
    out.push('</tr>');
  }
  out.push('</tbody></table>');

  const plotData: Record<number, ScanSample> = {};
  for (const [id, s] of samples) plotData[id] = s;
  const json = JSON.stringify({ report, samples: plotData }).replace(/</g, '\\u003c');
  out.push(`<script type="application/json" id="scanwatch-data">${json}</script>`);
  out.push(`<script>${scriptSafe(asset('uPlot.iife.min.js'))}</script>`);
  out.push(`<script>${scriptSafe(SCRIPT)}</script>`);
  out.push('</body></html>\n');
  return out.join('\n');
}
