import { techniqueByName } from '../rules/techniques.js';
import type { DetectionReport, Report } from './report.js';

/** Sweeps look for live hosts, not ports (the technique registry says which techniques are sweeps). */
const isSweepType = (type: string): boolean => techniqueByName(type)?.sweep === true;

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

function listShort(values: (string | number)[], total: number, max = 8): string {
  if (values.length === 0) return '-';
  const shown = values.slice(0, max).join(',');
  return total > max ? `${shown},…(+${total - max})` : shown;
}

function learned(d: DetectionReport): string {
  if (isSweepType(d.type)) return d.live_host_count > 0 ? `${d.live_host_count} up: ${listShort(d.live_hosts, d.live_host_count, 4)}` : '-';
  return listShort(d.open_ports, d.open_ports.length);
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/** The human-readable report: a summary line, then one row per scan. */
export function renderTable(r: Report): string {
  const lines: string[] = [];
  const files = r.files.map((f) => f.path).join(', ');
  const how = r.files.length > 1 ? (r.merged ? ' (merged into one stream)' : ' (each its own capture)') : '';
  lines.push(`scanwatch ${r.scanwatch_version}: ${r.packets} packets, ${r.bytes} bytes from ${files}${how}`);
  if (r.partial) lines.push('PARTIAL REPORT: reading was interrupted; only the packets read so far are covered');
  if (r.first_packet !== null) lines.push(`capture time ${r.first_packet} .. ${r.last_packet}`);
  if (r.decode_errors_total > 0) {
    const detail = Object.entries(r.decode_errors)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(`decode errors: ${r.decode_errors_total} (${detail})`);
  }
  const ev = r.evictions;
  if (ev.probation + ev.sources + ev.flows > 0) {
    lines.push(`evictions (bounded state): ${ev.probation} one-probe sources, ${ev.sources} tracked sources, ${ev.flows} flows`);
  }
  const c = r.coverage;
  if (c !== undefined && (c.sources_evicted_undetected > 0 || c.probation_overwritten > 0)) {
    // The state is bounded: say how much of what was seen it could not follow.
    lines.push(
      `(not all followed: about ${c.probing_sources_estimate} probing sources seen, ${c.sources_promoted} followed past one probe, ` +
        `${c.sources_evicted_undetected} of those evicted before a detection, ${c.probation_overwritten} one-probe sources overwritten; ${c.sources_reported} reported)`,
    );
  }
  if (r.detections.length === 0) {
    lines.push('', 'no scans detected');
    return lines.join('\n') + '\n';
  }
  lines.push('', `${r.detections.length} scan${r.detections.length === 1 ? '' : 's'} detected:`, '');
  // The file column only when there is more than one file to tell apart.
  const showFile = r.files.length > 1;
  const head = ['SOURCE', 'TYPE', 'PATTERN', 'DIRECTION', 'TARGETS', 'PORTS', 'PROBES', 'FIRST SEEN (UTC)', 'DURATION', 'TOOL', 'ATT&CK', 'AFTER', 'LEARNED (open ports / live hosts)'];
  const rows: string[][] = [showFile ? ['FILE', ...head] : head];
  for (const d of r.detections) {
    const row = [
      d.src,
      d.type,
      d.pattern,
      d.direction === undefined ? '-' : `${d.direction}/${d.severity}`,
      String(d.targets),
      isSweepType(d.type) ? '-' : String(d.ports),
      String(d.probes),
      d.first_seen.replace('T', ' ').replace('Z', ''),
      duration(d.duration_s),
      d.tool ?? '-',
      d.attack.id,
      String(d.detected_after_probes),
      learned(d),
    ];
    rows.push(showFile ? [d.file ?? '-', ...row] : row);
  }
  lines.push(pad(rows));
  if (r.detections_dropped > 0) lines.push(`(${r.detections_dropped} further detections dropped: --max-detections reached)`);
  return lines.join('\n') + '\n';
}
