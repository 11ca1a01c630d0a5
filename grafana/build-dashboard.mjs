// Writes grafana/scanwatch.json, the dashboard, from the panel list below
// (node grafana/build-dashboard.mjs). Every panel's queries are run against
// a real Prometheus scraping a real sensor by test/e2e/live.test.ts.
import { writeFileSync } from 'node:fs';

const ds = { type: 'prometheus', uid: '${datasource}' };
const rows = [
  ['Traffic', [
    ['Packets per second', 'pps', [['sum(rate(scanwatch_packets_total{instance=~"$instance"}[$__rate_interval]))', 'packets']]],
    ['Bits per second', 'bps', [['sum(rate(scanwatch_bytes_total{instance=~"$instance"}[$__rate_interval])) * 8', 'bits']]],
    ['TCP segments by flags', 'pps', [['sum by (flags) (rate(scanwatch_tcp_segments_total{instance=~"$instance"}[$__rate_interval]))', '{{flags}}']]],
    ['Decode errors by reason', 'pps', [['sum by (reason) (rate(scanwatch_decode_errors_total{instance=~"$instance"}[$__rate_interval]))', '{{reason}}']]],
  ]],
  ['Reconnaissance', [
    ['Probes by technique', 'pps', [['sum by (technique) (rate(scanwatch_scan_probes_total{instance=~"$instance"}[$__rate_interval]))', '{{technique}}']]],
    ['Scans detected by type and direction', 'short', [['sum by (type, direction) (increase(scanwatch_scans_detected_total{instance=~"$instance"}[$__range]))', '{{type}} {{direction}}']], 'bargauge'],
    ['Scans detected per hour', 'short', [['sum by (direction) (increase(scanwatch_scans_detected_total{instance=~"$instance"}[1h]))', '{{direction}}']]],
    ['Active scans by type', 'short', [['sum by (type) (scanwatch_scans_active{instance=~"$instance"})', '{{type}}']]],
  ]],
  ['Capture loss', [
    ['Kernel ring drops (sensor behind)', 'pps', [['sum(rate(scanwatch_capture_kernel_drops_total{instance=~"$instance"}[$__rate_interval]))', 'kernel drops'], ['sum(rate(scanwatch_capture_interface_drops_total{instance=~"$instance"}[$__rate_interval]))', 'interface drops (ps_ifdrop)']]],
    ['Kernel drop ratio', 'percentunit', [['sum(rate(scanwatch_capture_kernel_drops_total{instance=~"$instance"}[$__rate_interval])) / clamp_min(sum(rate(scanwatch_capture_received_total{instance=~"$instance"}[$__rate_interval])), 1)', 'dropped / received']]],
    ['Interface drops (sysfs)', 'pps', [['sum by (counter) (rate(scanwatch_interface_dropped_packets_total{instance=~"$instance"}[$__rate_interval]))', '{{counter}}']]],
    ['ACK-gap loss estimate (Zeek capture-loss method)', 'percentunit', [['scanwatch_capture_loss_ratio{instance=~"$instance"}', 'estimated loss']]],
  ]],
  ['State tables', [
    ['Table occupancy', 'percentunit', [['sum by (table) (scanwatch_state_entries{instance=~"$instance"}) / sum by (table) (scanwatch_state_capacity{instance=~"$instance"})', '{{table}}']]],
    ['Evictions by table', 'ops', [['sum by (table) (rate(scanwatch_state_evictions_total{instance=~"$instance"}[$__rate_interval]))', '{{table}}']]],
    ['Sketch budget used', 'bytes', [['sum(scanwatch_state_sketch_bytes{instance=~"$instance"})', 'bytes']]],
    ['Detections dropped (limit reached)', 'short', [['sum(increase(scanwatch_detections_dropped_total{instance=~"$instance"}[$__range]))', 'dropped']], 'stat'],
  ]],
  ['Response hooks', [
    ['Hook outcomes', 'short', [['sum by (hook, result) (increase(scanwatch_hook_events_total{instance=~"$instance"}[$__range]))', '{{hook}} {{result}}']], 'bargauge'],
    ['Hook failures, timeouts and drops per minute', 'short', [['sum by (hook, result) (rate(scanwatch_hook_events_total{instance=~"$instance",result!="succeeded"}[$__rate_interval])) * 60', '{{hook}} {{result}}']]],
  ]],
];

const panels = [];
let id = 1;
let y = 0;
for (const [title, list] of rows) {
  panels.push({ id: id++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
  y += 1;
  list.forEach(([ptitle, unit, targets, type = 'timeseries'], i) => {
    panels.push({
      id: id++,
      type,
      title: ptitle,
      datasource: ds,
      fieldConfig: { defaults: { unit }, overrides: [] },
      options: type === 'timeseries' ? { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } } : {},
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
      targets: targets.map(([expr, legendFormat], k) => ({ refId: String.fromCharCode(65 + k), datasource: ds, expr, legendFormat })),
    });
  });
  y += Math.ceil(list.length / 2) * 8;
}

const dashboard = {
  uid: 'scanwatch',
  title: 'scanwatch sensor',
  tags: ['scanwatch', 'ids', 'network'],
  timezone: 'utc',
  schemaVersion: 39,
  version: 1,
  editable: true,
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  templating: {
    list: [
      { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
      { name: 'instance', type: 'query', datasource: ds, query: 'label_values(scanwatch_build_info, instance)', includeAll: true, multi: true, current: { text: 'All', value: '$__all' }, refresh: 2 },
    ],
  },
  annotations: { list: [] },
  panels,
};
writeFileSync(new URL('./scanwatch.json', import.meta.url), JSON.stringify(dashboard, null, 2) + '\n');
