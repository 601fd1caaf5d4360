/**
 * Plausible sensor signals for the simulator: each value is a base, a slow mean-reverting drift, white
 * noise, and now and then a spike — what a real plant sensor looks like on a chart, and enough to exercise
 * rules with thresholds and rates of change. Deterministic for a given random source, so tests can seed it.
 */

/** Uniform in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, fast, seedable generator (statistically fine for test data, not for secrets). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal sample (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface SignalSpec {
  /** The value the signal wanders around. */
  base: number;
  /** Standard deviation of the sample-to-sample noise. */
  noise: number;
  /** Standard deviation of the slow drift around base, once settled. */
  drift: number;
  /** How slowly the drift moves, in seconds (its correlation time). */
  driftTimeS: number;
  /** Chance that one sample carries a spike. */
  spikeProbability: number;
  /** Typical spike height (negative for dips); a spike is 0.5–1.5 times this. */
  spike: number;
  min: number;
  max: number;
  decimals: number;
}

/**
 * One sensor. The drift is an Ornstein–Uhlenbeck process, sampled exactly for any time step, so it wanders
 * slowly and keeps coming back to base whatever the publish rate.
 */
export class Signal {
  /** Current drift away from base. */
  wander = 0;

  constructor(
    readonly spec: SignalSpec,
    private readonly random: Random,
  ) {}

  /** The next sample, `dtS` seconds after the previous one; `offset` shifts it (for correlated signals). */
  next(dtS: number, offset = 0): number {
    const s = this.spec;
    const keep = Math.exp(-Math.max(0, dtS) / s.driftTimeS);
    this.wander = this.wander * keep + s.drift * Math.sqrt(1 - keep * keep) * gaussian(this.random);
    let value = s.base + this.wander + offset + s.noise * gaussian(this.random);
    if (this.random() < s.spikeProbability) value += s.spike * (0.5 + this.random());
    const clamped = Math.min(s.max, Math.max(s.min, value));
    const scale = 10 ** s.decimals;
    return Math.round(clamped * scale) / scale;
  }
}

export type MetricName = 'temperature' | 'humidity' | 'pressure' | 'vibration';

/** Typical values: °C, % relative humidity, hPa, mm/s RMS (ISO 10816 zone A/B for a mid-size machine). */
export const METRIC_SPECS: Readonly<Record<MetricName, SignalSpec>> = Object.freeze({
  temperature: {
    base: 22,
    noise: 0.05,
    drift: 1.5,
    driftTimeS: 600,
    spikeProbability: 0.001,
    spike: 8,
    min: -40,
    max: 125,
    decimals: 2,
  },
  humidity: {
    base: 45,
    noise: 0.3,
    drift: 4,
    driftTimeS: 900,
    spikeProbability: 0.0005,
    spike: 12,
    min: 0,
    max: 100,
    decimals: 1,
  },
  pressure: {
    base: 1013.25,
    noise: 0.05,
    drift: 2,
    driftTimeS: 1800,
    spikeProbability: 0.0005,
    spike: -5,
    min: 870,
    max: 1085,
    decimals: 2,
  },
  vibration: {
    base: 2.5,
    noise: 0.15,
    drift: 0.4,
    driftTimeS: 300,
    spikeProbability: 0.005,
    spike: 6,
    min: 0,
    max: 50,
    decimals: 3,
  },
});

export type Readings = Record<MetricName, number>;

/**
 * The four sensors of one simulated device. Each device gets its own bases (no two devices read the same),
 * and humidity falls as the temperature drifts up, as relative humidity does in a closed room.
 */
export class DeviceSignals {
  private readonly signals: Record<MetricName, Signal>;

  constructor(random: Random) {
    const jitter = (spec: SignalSpec, spread: number): SignalSpec => ({
      ...spec,
      base: spec.base + (random() * 2 - 1) * spread,
    });
    this.signals = {
      temperature: new Signal(jitter(METRIC_SPECS.temperature, 3), random),
      humidity: new Signal(jitter(METRIC_SPECS.humidity, 10), random),
      pressure: new Signal(jitter(METRIC_SPECS.pressure, 4), random),
      vibration: new Signal(jitter(METRIC_SPECS.vibration, 1), random),
    };
  }

  next(dtS: number): Readings {
    const temperature = this.signals.temperature.next(dtS);
    return {
      temperature,
      humidity: this.signals.humidity.next(dtS, -2 * this.signals.temperature.wander),
      pressure: this.signals.pressure.next(dtS),
      vibration: this.signals.vibration.next(dtS),
    };
  }
}
