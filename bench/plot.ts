/** A small hand-written SVG plotter: histograms, scatter points and lines on linear axes. */
import { type Bin, histogram, niceWidth, type Window } from './stats.js';

export interface Series {
  label: string;
  color: string;
}

const W = 900;
const PANEL_H = 260;
const MARGIN = { left: 70, right: 20, top: 34, bottom: 44 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const minOf = (xs: number[]) => xs.reduce((a, b) => (b < a ? b : a), Number.POSITIVE_INFINITY);
const maxOf = (xs: number[]) => xs.reduce((a, b) => (b > a ? b : a), Number.NEGATIVE_INFINITY);
const fmt = (n: number) =>
  Math.abs(n) >= 10_000 ? `${Math.round(n / 1000)}k` : String(Math.round(n * 100) / 100);

/** About `count` round tick values covering [min, max]. */
export function ticks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * pow >= raw)! * pow;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  body: string[];
}

function frame(
  top: number,
  title: string,
  xLabel: string,
  yLabel: string,
  [x0, x1]: [number, number],
  [y0, y1]: [number, number],
): Frame {
  const left = MARGIN.left;
  const width = W - MARGIN.left - MARGIN.right;
  const height = PANEL_H - MARGIN.top - MARGIN.bottom;
  const plotTop = top + MARGIN.top;
  const x = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * width;
  const y = (v: number) => plotTop + height - ((v - y0) / (y1 - y0 || 1)) * height;
  const body: string[] = [
    `<text x="${left}" y="${top + 20}" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${left}" y="${plotTop}" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    body.push(
      `<line x1="${x(t)}" y1="${plotTop + height}" x2="${x(t)}" y2="${plotTop + height + 4}" stroke="#999"/>`,
      `<text x="${x(t)}" y="${plotTop + height + 16}" font-size="11" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1, 5)) {
    body.push(
      `<line x1="${left}" y1="${y(t)}" x2="${left + width}" y2="${y(t)}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  body.push(
    `<text x="${left + width / 2}" y="${plotTop + height + 34}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${plotTop + height / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${plotTop + height / 2})">${esc(yLabel)}</text>`,
  );
  return { x, y, body };
}

function legend(top: number, series: Series[]): string {
  return series
    .map(
      (s, i) =>
        `<rect x="${W - 260}" y="${top + 10 + i * 16}" width="10" height="10" fill="${s.color}"/>` +
        `<text x="${W - 244}" y="${top + 19 + i * 16}" font-size="11">${esc(s.label)}</text>`,
    )
    .join('');
}

/** Overlaid histograms of several value sets on shared bins. */
export function histogramPanel(
  top: number,
  title: string,
  sets: { series: Series; values: number[] }[],
  xLabel = 'start lateness (ms)',
): string {
  const all = sets.flatMap((s) => s.values);
  if (all.length === 0) return '';
  const width = niceWidth(all, 50);
  const min = minOf(all);
  const max = maxOf(all);
  const binned: Bin[][] = sets.map((s) => histogram(s.values, width, { min, max }));
  const yMax = Math.max(1, ...binned.flat().map((b) => b.count));
  const f = frame(
    top,
    title,
    xLabel,
    'runs',
    [Math.floor(min / width) * width, (Math.floor(max / width) + 1) * width],
    [0, yMax],
  );
  binned.forEach((bins, i) => {
    const color = sets[i]!.series.color;
    for (const b of bins) {
      if (b.count <= 0) continue;
      const x = f.x(b.from);
      const w = Math.max(1, f.x(b.from + width) - x - 1);
      f.body.push(
        `<rect x="${x.toFixed(1)}" y="${f.y(b.count).toFixed(1)}" width="${w.toFixed(1)}" height="${(f.y(0) - f.y(b.count)).toFixed(1)}" fill="${color}" fill-opacity="0.6"/>`,
      );
    }
  });
  return (
    f.body.join('\n') +
    legend(
      top,
      sets.map((s) => s.series),
    )
  );
}

/** Points (x, y), thinned to at most `maxPoints`. */
export function scatterPanel(
  top: number,
  title: string,
  points: { x: number; y: number }[],
  series: Series,
  xLabel: string,
  yLabel: string,
  maxPoints = 3000,
): string {
  if (points.length === 0) return '';
  const step = Math.max(1, Math.ceil(points.length / maxPoints));
  const shown = points.filter((_, i) => i % step === 0);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const f = frame(
    top,
    title,
    xLabel,
    yLabel,
    [Math.min(0, minOf(xs)), Math.max(1, maxOf(xs))],
    [Math.min(0, minOf(ys)), Math.max(1, maxOf(ys))],
  );
  for (const p of shown) {
    f.body.push(
      `<circle cx="${f.x(p.x).toFixed(1)}" cy="${f.y(p.y).toFixed(1)}" r="1.5" fill="${series.color}"/>`,
    );
  }
  return f.body.join('\n') + legend(top, [series]);
}

/** p50 / p99 / max lateness per window over time. */
export function windowPanel(top: number, title: string, wins: Window[], origin: number): string {
  if (wins.length === 0) return '';
  const xs = wins.map((w) => (w.from - origin) / 1000);
  const yMax = Math.max(1, ...wins.map((w) => w.maxMs));
  const f = frame(
    top,
    title,
    'scheduled time from the start (s)',
    'start lateness (ms)',
    [0, Math.max(10, ...xs) + 10],
    [0, yMax],
  );
  const lines: [Series, (w: Window) => number][] = [
    [{ label: 'p50 per 10 s', color: '#2b6cb0' }, (w) => w.p50Ms],
    [{ label: 'p99 per 10 s', color: '#c05621' }, (w) => w.p99Ms],
    [{ label: 'max per 10 s', color: '#999' }, (w) => w.maxMs],
  ];
  for (const [series, value] of lines) {
    const d = wins
      .map((w, i) => `${i ? 'L' : 'M'}${f.x(xs[i]! + 5).toFixed(1)},${f.y(value(w)).toFixed(1)}`)
      .join(' ');
    f.body.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
  }
  return (
    f.body.join('\n') +
    legend(
      top,
      lines.map(([s]) => s),
    )
  );
}

/** Stacks panels (each PANEL_H tall; empty ones dropped) into one SVG document. */
export function svgDocument(title: string, panels: ((top: number) => string)[]): string {
  const parts: string[] = [];
  let top = 30;
  for (const panel of panels) {
    const body = panel(top);
    if (!body) continue;
    parts.push(body);
    top += PANEL_H;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${top + 10}" viewBox="0 0 ${W} ${top + 10}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="15">${esc(title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
