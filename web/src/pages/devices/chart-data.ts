/**
 * The numbers behind the device charts: one series per telemetry key, x in epoch seconds (as uPlot wants),
 * sorted by time. History comes from the telemetry query API; live updates from Socket.IO are merged in as
 * they arrive — usually appended, inserted in place when a device back-fills, replacing a value of the same
 * instant.
 */
export interface Series {
  xs: number[];
  ys: number[];
}

export type ChartSeries = Record<string, Series>;

/** A reading a line can show: numbers, and booleans as 1/0 (a running flag); texts and objects are not charted. */
export function chartValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** Series from `GET /telemetry/{id}` (points per key, oldest first); keys without a chartable value are left out. */
export function seriesFromHistory(history: Record<string, { ts: string; value: unknown }[]>): ChartSeries {
  const out: ChartSeries = {};
  for (const [key, points] of Object.entries(history)) {
    const pairs: [number, number][] = [];
    for (const p of points) {
      const y = chartValue(p.value);
      const x = seconds(p.ts);
      if (y !== null && Number.isFinite(x)) pairs.push([x, y]);
    }
    if (pairs.length === 0) continue;
    pairs.sort((a, b) => a[0] - b[0]);
    out[key] = { xs: pairs.map((p) => p[0]), ys: pairs.map((p) => p[1]) };
  }
  return out;
}

/** Index of the first x ≥ target (binary search; xs is sorted). */
function lowerBound(xs: number[], target: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The most points a chart line keeps: live updates drop the oldest past it, and history asks for no more. */
export const MAX_CHART_POINTS = 5000;

/**
 * One `telemetry_update` merged into the series. Returns a new object whose touched series are new arrays
 * (React sees the change), untouched series are shared. Each series keeps at most `maxPoints`, dropping the
 * oldest.
 */
export function mergeUpdate(
  series: ChartSeries,
  update: { ts: string; values: Record<string, unknown> },
  maxPoints = MAX_CHART_POINTS,
): ChartSeries {
  const x = seconds(update.ts);
  if (!Number.isFinite(x)) return series;
  let out: ChartSeries | null = null;
  for (const [key, raw] of Object.entries(update.values)) {
    const y = chartValue(raw);
    if (y === null) continue;
    const before = series[key] ?? { xs: [], ys: [] };
    const xs = before.xs.slice();
    const ys = before.ys.slice();
    const last = xs[xs.length - 1];
    if (last === undefined || x > last) {
      xs.push(x);
      ys.push(y);
    } else {
      const i = lowerBound(xs, x);
      if (xs[i] === x) ys[i] = y;
      else {
        xs.splice(i, 0, x);
        ys.splice(i, 0, y);
      }
    }
    if (xs.length > maxPoints) {
      xs.splice(0, xs.length - maxPoints);
      ys.splice(0, ys.length - maxPoints);
    }
    out ??= { ...series };
    out[key] = { xs, ys };
  }
  return out ?? series;
}

/** How much history to show, and how to ask for it: raw points up to an hour, averaged buckets beyond. */
export const RANGES = [
  { id: '15m', label: 'Last 15 minutes', seconds: 900 },
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { id: '24h', label: 'Last 24 hours', seconds: 86_400 },
] as const;

export type RangeId = (typeof RANGES)[number]['id'];

export function historyQuery(
  range: RangeId,
  now: number,
): { start: string; end: string; limit: number; agg?: 'avg'; interval?: string } {
  const r = RANGES.find((x) => x.id === range) ?? RANGES[1];
  const start = new Date(now - r.seconds * 1000).toISOString();
  // The end is a little ahead: a device clock slightly ahead of the server's must still show.
  const end = new Date(now + 60_000).toISOString();
  // The limit counts per key and keeps each key's newest points: a fast device's line shows the latest part of
  // the range, as it will once live updates trim it to the same size.
  if (r.seconds <= 3600) return { start, end, limit: MAX_CHART_POINTS };
  // About 600 buckets: enough for a chart as wide as a screen.
  return { start, end, limit: MAX_CHART_POINTS, agg: 'avg', interval: `${Math.ceil(r.seconds / 600)}s` };
}
