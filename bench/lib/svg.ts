/**
 * Small self-contained SVG charts for the bench and soak reports (no chart library is installed, and the
 * charts are simple): horizontal bar panels and line panels, stacked into one image. Pure functions: they
 * return the SVG text; callers write it next to the Markdown report that links it.
 */

/** One bar of a {@link BarPanel}. */
export interface Bar {
  label: string;
  /** Value in the panel's unit; NaN draws no bar and writes `-`. */
  value: number;
  /** Optional range drawn as a whisker over the bar (e.g. lowest and highest per-cycle value). */
  range?: [number, number];
}

/** A horizontal bar chart: one bar per label, a value axis starting at 0. */
export interface BarPanel {
  title: string;
  /** Unit shown after the values (e.g. `ms`, `req/s`). */
  unit: string;
  bars: Bar[];
  /** Digits after the decimal point in value labels [0]. */
  digits?: number;
}

/** One line of a {@link LinePanel}: points as [x, y] in the panel's units. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

/** A line chart sharing its x axis unit with the other line panels. */
export interface LinePanel {
  title: string;
  /** Unit of the y axis. */
  unit: string;
  series: Series[];
  /** Optional vertical markers (x, label), e.g. where the load stopped. */
  markers?: Array<[number, string]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** Escapes text for SVG/XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * "Nice" axis ticks from 0 (or `min`) to at least `max`: steps of 1, 2 or 5 times a power of ten, about
 * `count` of them. Returns the tick values (the last one >= max).
 */
export function niceTicks(max: number, count = 5, min = 0): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return [min, min + 1];
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = start; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Title and subtitle lines (the subtitle may hold `\n`); returns the SVG and the y below them. */
function heading(title: string, subtitle: string | undefined): { svg: string[]; bottom: number } {
  const svg = [`<text x="12" y="24" font-size="16" font-weight="600" fill="#111">${xmlEscape(title)}</text>`];
  const lines = subtitle ? subtitle.split('\n') : [];
  lines.forEach((l, i) => svg.push(`<text x="12" y="${44 + 16 * i}" fill="#555">${xmlEscape(l)}</text>`));
  return { svg, bottom: 48 + 16 * lines.length };
}

function fmt(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 10_000 ? v.toFixed(0) : v.toFixed(digits);
}

/**
 * Renders bar panels side by side; the labels are taken from the first panel, so every panel should list
 * the same bars in the same order.
 * @param o.width total width in px [960].
 */
export function barChartSvg(o: { title: string; /** may hold `\n` */ subtitle?: string; panels: BarPanel[]; width?: number }): string {
  const width = o.width ?? 960;
  const labelW = Math.min(300, 8 + 6.4 * Math.max(...o.panels.flatMap((p) => p.bars.map((b) => b.label.length)), 4));
  const rows = Math.max(...o.panels.map((p) => p.bars.length), 1);
  const barH = 18;
  const gap = 8;
  const head = heading(o.title, o.subtitle);
  const top = head.bottom;
  const panelTop = top + 22;
  const plotH = rows * (barH + gap);
  const height = panelTop + plotH + 36;
  const panelW = (width - labelW - 16) / o.panels.length;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(...head.svg);
  const labels = o.panels[0]?.bars ?? [];
  labels.forEach((b, i) => {
    const y = panelTop + i * (barH + gap) + barH / 2 + 4;
    out.push(`<text x="${labelW}" y="${y}" text-anchor="end" fill="#222">${xmlEscape(b.label)}</text>`);
  });
  o.panels.forEach((p, pi) => {
    const x0 = labelW + 12 + pi * panelW;
    const w = panelW - 70;
    const max = Math.max(...p.bars.map((b) => Math.max(Number.isFinite(b.value) ? b.value : 0, b.range ? b.range[1] : 0)), 0);
    const ticks = niceTicks(max || 1, 4);
    const scale = w / ticks[ticks.length - 1];
    out.push(`<text x="${x0}" y="${panelTop - 8}" font-weight="600" fill="#111">${xmlEscape(p.title)} (${xmlEscape(p.unit)})</text>`);
    for (const t of ticks) {
      const x = x0 + t * scale;
      out.push(`<line x1="${x.toFixed(1)}" y1="${panelTop}" x2="${x.toFixed(1)}" y2="${panelTop + plotH}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${x.toFixed(1)}" y="${panelTop + plotH + 14}" text-anchor="middle" fill="#666" font-size="10">${fmt(t, t < 10 && t % 1 ? 2 : 0)}</text>`);
    }
    p.bars.forEach((b, i) => {
      const y = panelTop + i * (barH + gap);
      const color = COLORS[i % COLORS.length];
      if (Number.isFinite(b.value)) out.push(`<rect x="${x0}" y="${y}" width="${Math.max(1, b.value * scale).toFixed(1)}" height="${barH}" fill="${color}" fill-opacity="0.8"/>`);
      if (b.range && b.range.every(Number.isFinite)) {
        const [lo, hi] = b.range;
        const ym = y + barH / 2;
        out.push(`<line x1="${(x0 + lo * scale).toFixed(1)}" y1="${ym}" x2="${(x0 + hi * scale).toFixed(1)}" y2="${ym}" stroke="#222" stroke-width="1.2"/>`);
        for (const v of [lo, hi]) out.push(`<line x1="${(x0 + v * scale).toFixed(1)}" y1="${ym - 4}" x2="${(x0 + v * scale).toFixed(1)}" y2="${ym + 4}" stroke="#222" stroke-width="1.2"/>`);
      }
      const end = Math.max(Number.isFinite(b.value) ? b.value : 0, b.range ? b.range[1] : 0);
      out.push(`<text x="${(x0 + end * scale + 4).toFixed(1)}" y="${y + barH / 2 + 4}" fill="#222" font-size="11">${fmt(b.value, p.digits ?? 0)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Renders line panels stacked vertically, sharing the x axis (e.g. seconds since the start). NaN points
 * are left out of their line.
 * @param o.xUnit unit of the x axis (e.g. `s`).
 * @param o.width total width in px [960]; `o.panelHeight` height of one panel's plot in px [150].
 */
export function lineChartSvg(o: { title: string; subtitle?: string; xUnit: string; panels: LinePanel[]; width?: number; panelHeight?: number }): string {
  const width = o.width ?? 960;
  const ph = o.panelHeight ?? 150;
  const left = 70;
  const right = 180;
  const head = heading(o.title, o.subtitle);
  const top = head.bottom;
  const gapY = 44;
  const height = top + o.panels.length * (ph + gapY) + 16;
  const xs = o.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q[0])));
  const xMax = Math.max(...xs, 1);
  const xMin = Math.min(...xs, 0);
  const xt = niceTicks(xMax, 8, Math.max(0, xMin));
  const plotW = width - left - right;
  const sx = (x: number) => left + ((x - xt[0]) / (xt[xt.length - 1] - xt[0])) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(...head.svg);
  o.panels.forEach((p, pi) => {
    const y0 = top + 22 + pi * (ph + gapY);
    const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite);
    const yt = niceTicks(Math.max(...ys, 1), 4);
    const sy = (y: number) => y0 + ph - (y / yt[yt.length - 1]) * ph;
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="600" fill="#111">${xmlEscape(p.title)} (${xmlEscape(p.unit)})</text>`);
    for (const t of yt) {
      out.push(`<line x1="${left}" y1="${sy(t).toFixed(1)}" x2="${left + plotW}" y2="${sy(t).toFixed(1)}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" fill="#666" font-size="10">${fmt(t, t % 1 ? 1 : 0)}</text>`);
    }
    for (const t of xt) out.push(`<text x="${sx(t).toFixed(1)}" y="${y0 + ph + 14}" text-anchor="middle" fill="#666" font-size="10">${fmt(t)}${pi === o.panels.length - 1 && t === xt[xt.length - 1] ? ` ${xmlEscape(o.xUnit)}` : ''}</text>`);
    out.push(`<line x1="${left}" y1="${y0 + ph}" x2="${left + plotW}" y2="${y0 + ph}" stroke="#999"/>`);
    for (const [x, label] of p.markers ?? []) {
      out.push(`<line x1="${sx(x).toFixed(1)}" y1="${y0}" x2="${sx(x).toFixed(1)}" y2="${y0 + ph}" stroke="#999" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${(sx(x) + 3).toFixed(1)}" y="${y0 + 10}" fill="#777" font-size="10">${xmlEscape(label)}</text>`);
    }
    p.series.forEach((s, si) => {
      const color = COLORS[si % COLORS.length];
      const pts = s.points.filter((q) => Number.isFinite(q[1]));
      if (pts.length) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
      const ly = y0 + 12 + si * 16;
      out.push(`<line x1="${left + plotW + 12}" y1="${ly - 4}" x2="${left + plotW + 30}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
      out.push(`<text x="${left + plotW + 34}" y="${ly}" fill="#222" font-size="11">${xmlEscape(s.name)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
