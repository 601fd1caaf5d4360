import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { Series } from './chart-data.js';

const HEIGHT = 180;
/** The shortest time span a chart shows (s): one point, or a burst, is drawn in a minute, not over years. */
const MIN_SPAN_S = 120;

const xRange = (u: uPlot, min: number | null, max: number | null): [number, number] => {
  const xs = u.data[0];
  if (min === null || max === null || !xs || xs.length === 0) {
    const now = Date.now() / 1000;
    return [now - MIN_SPAN_S, now];
  }
  // uPlot stretches a lone point's range to 1000 days; centre it in the shortest span instead.
  const hi = xs.length === 1 ? min : max;
  if (hi - min >= MIN_SPAN_S) return [min, hi];
  const pad = (MIN_SPAN_S - (hi - min)) / 2;
  return [min - pad, hi + pad];
};

const formatValue = (v: number | undefined) =>
  v === undefined ? '—' : Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toPrecision(4);

/** One telemetry key over time (uPlot on a canvas), with a caption that says the same in words. */
export function TelemetryChart({ name, series }: { name: string; series: Series }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const initial = useRef(series);
  initial.current = series;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      {
        width: Math.max(el.clientWidth, 200),
        height: HEIGHT,
        scales: { x: { time: true, range: xRange } },
        legend: { show: false },
        series: [{}, { label: name, stroke: '#1d4ed8', fill: 'rgba(29, 78, 216, 0.08)', width: 2, spanGaps: true }],
        axes: [
          { stroke: '#4b5563', space: 90 },
          { stroke: '#4b5563', size: 60 },
        ],
      },
      [initial.current.xs, initial.current.ys],
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [name]);

  useEffect(() => {
    plot.current?.setData([series.xs, series.ys]);
  }, [series]);

  const count = series.xs.length;
  return (
    <figure className="chart" data-key={name} data-points={count}>
      <figcaption>
        <strong>{name}</strong> — latest {formatValue(series.ys[count - 1])} · {count} point{count === 1 ? '' : 's'}
      </figcaption>
      <div ref={box} className="chart-canvas" role="img" aria-label={`Chart of ${name} over time`} />
    </figure>
  );
}
