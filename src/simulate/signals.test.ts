import { describe, expect, it } from 'vitest';
import { DeviceSignals, gaussian, METRIC_SPECS, type MetricName, Signal, seededRandom } from './signals.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};
const series = (seed: number, n: number, dtS = 1) => {
  const device = new DeviceSignals(seededRandom(seed));
  return Array.from({ length: n }, () => device.next(dtS));
};
const column = (rows: Record<MetricName, number>[], k: MetricName) => rows.map((r) => r[k]);

describe('simulated sensor signals', () => {
  it('is reproducible from a seed, and differs between seeds', () => {
    expect(series(7, 50)).toEqual(series(7, 50));
    expect(series(7, 50)).not.toEqual(series(8, 50));
  });

  it('draws standard normal noise', () => {
    const random = seededRandom(1);
    const xs = Array.from({ length: 50_000 }, () => gaussian(random));
    expect(Math.abs(mean(xs))).toBeLessThan(0.02);
    expect(std(xs)).toBeCloseTo(1, 1);
  });

  it('stays within physical bounds and at the documented precision', () => {
    const rows = series(3, 50_000);
    for (const k of ['temperature', 'humidity', 'pressure', 'vibration'] as const) {
      const spec = METRIC_SPECS[k];
      const xs = column(rows, k);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(spec.min);
      expect(Math.max(...xs)).toBeLessThanOrEqual(spec.max);
      const scale = 10 ** spec.decimals;
      expect(xs.every((x) => Math.abs(Math.round(x * scale) - x * scale) < 1e-6)).toBe(true);
    }
  });

  it('wanders slowly around its base: the drift dwarfs the sample-to-sample noise', () => {
    const spec = { ...METRIC_SPECS.temperature, spikeProbability: 0 };
    const signal = new Signal(spec, seededRandom(11));
    const xs = Array.from({ length: 20_000 }, () => signal.next(1));
    const steps = xs.slice(1).map((x, i) => x - (xs[i] as number));
    // Noise is there (no two samples equal in a row, mostly) …
    expect(std(steps)).toBeGreaterThan(spec.noise);
    // … but the level moves far more over minutes than from one sample to the next.
    expect(std(xs)).toBeGreaterThan(5 * std(steps));
    // Mean-reverting: over ~30 correlation times the average comes back near the base.
    expect(Math.abs(mean(xs) - spec.base)).toBeLessThan(spec.drift);
  });

  it('spikes now and then, at about the configured rate', () => {
    const spec = { ...METRIC_SPECS.vibration, drift: 0, noise: 0.01, spikeProbability: 0.01 };
    const signal = new Signal(spec, seededRandom(5));
    const n = 50_000;
    const spikes = Array.from({ length: n }, () => signal.next(1)).filter((x) => x > spec.base + spec.spike / 4).length;
    expect(spikes).toBeGreaterThan(n * spec.spikeProbability * 0.7);
    expect(spikes).toBeLessThan(n * spec.spikeProbability * 1.3);
  });

  it('moves humidity against the temperature drift', () => {
    const rows = series(21, 20_000, 30);
    const t = column(rows, 'temperature');
    const h = column(rows, 'humidity');
    const mt = mean(t);
    const mh = mean(h);
    const covariance = mean(t.map((x, i) => (x - mt) * ((h[i] as number) - mh)));
    expect(covariance / (std(t) * std(h))).toBeLessThan(-0.2);
  });

  it('gives every device its own levels', () => {
    const a = mean(column(series(1, 2000), 'temperature'));
    const b = mean(column(series(2, 2000), 'temperature'));
    expect(a).not.toBeCloseTo(b, 1);
  });
});
