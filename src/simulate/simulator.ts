import mqtt, { type MqttClient } from 'mqtt';
import { bearerToken, ensureDevices, type SimulatedDevice, type SimulatorAuth, simulatedIds } from './fleet.js';
import { DeviceSignals, type Random } from './signals.js';

export interface SimulationOptions {
  /** Fieldline's HTTP base URL. */
  url: string;
  /** Its MQTT URL (embedded broker, or the external broker devices use). */
  mqttUrl: string;
  auth: SimulatorAuth;
  devices: number;
  /** Messages per second, all devices together. */
  rate: number;
  /** Stop after this long; null runs until aborted. */
  durationS: number | null;
  prefix: string;
  /** Native topic prefix (FIELDLINE_TOPIC_PREFIX of the server). */
  topicPrefix: string;
  qos: 0 | 1;
  signal?: AbortSignal;
  random?: Random;
}

export interface SimulationStats {
  devices: number;
  connected: number;
  sent: number;
  acked: number;
  failed: number;
  /** Messages not sent because the device already had too many waiting for their PUBACK. */
  skipped: number;
  points: number;
  startedAt: number;
  /** Publish → PUBACK times of recent messages, in ms. */
  latencies: number[];
  lastError: string | null;
}

interface Sim {
  device: SimulatedDevice;
  client: MqttClient;
  signals: DeviceSignals;
  lastSample: number;
  /** Timestamp of the last message: each is at least 1 ms later, so no two points of a series collide. */
  lastTs: number;
  inFlight: number;
}

const POINTS_PER_MESSAGE = 4;
/** Unacknowledged messages a device may have; beyond it the simulator skips (a slow server is not flooded). */
const MAX_IN_FLIGHT = 100;
const TICK_MS = 10;
const LATENCY_WINDOW = 5000;

/** The p-th percentile (0–100) of a sample, or null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * Drives the simulated fleet: devices through the API, one MQTT connection each (the device's own token),
 * and a steady total rate spread round-robin over the devices. `onProgress` is called with live stats; the
 * promise resolves with the final stats once the duration is over or the signal aborted, after the messages
 * in flight were acknowledged (or 5 s passed) and the connections closed.
 */
export class Simulation {
  readonly stats: SimulationStats;
  private sims: Sim[] = [];
  private latencySlot = 0;

  constructor(private readonly options: SimulationOptions) {
    this.stats = {
      devices: options.devices,
      connected: 0,
      sent: 0,
      acked: 0,
      failed: 0,
      skipped: 0,
      points: 0,
      startedAt: Date.now(),
      latencies: [],
      lastError: null,
    };
  }

  /** Creates or reuses the devices and connects them; the first step of run(). */
  async prepare(): Promise<SimulatedDevice[]> {
    const o = this.options;
    const token = await bearerToken(o.url, o.auth);
    const devices = await ensureDevices(o.url, token, simulatedIds(o.prefix, o.devices));
    const random = o.random ?? Math.random;
    const now = Date.now();
    this.sims = devices.map((device) => ({
      device,
      client: this.connect(device),
      signals: new DeviceSignals(random),
      lastSample: now,
      lastTs: 0,
      inFlight: 0,
    }));
    await Promise.all(
      this.sims.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.client.connected) resolve();
            s.client.once('connect', () => resolve());
            s.client.once('error', () => resolve());
            o.signal?.addEventListener('abort', () => resolve(), { once: true });
          }),
      ),
    );
    return devices;
  }

  async run(onProgress?: (stats: SimulationStats) => void, progressMs = 1000): Promise<SimulationStats> {
    const o = this.options;
    if (this.sims.length === 0) await this.prepare();
    this.stats.startedAt = Date.now();
    let issued = 0;
    let next = 0;
    const endAt = o.durationS === null ? Number.POSITIVE_INFINITY : this.stats.startedAt + o.durationS * 1000;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearInterval(ticker);
        clearInterval(reporter);
        resolve();
      };
      const ticker = setInterval(() => {
        const now = Date.now();
        if (now >= endAt || o.signal?.aborted) return finish();
        // Catch up to the target count, so the average rate holds whatever the timer jitter.
        const due = Math.floor(((now - this.stats.startedAt) / 1000) * o.rate) - issued;
        for (let i = 0; i < due; i++) {
          const sim = this.sims[next % this.sims.length] as Sim;
          next++;
          issued++;
          this.publish(sim, now);
        }
      }, TICK_MS);
      const reporter = setInterval(() => onProgress?.(this.snapshot()), progressMs);
      o.signal?.addEventListener('abort', finish, { once: true });
    });
    await this.drain(5000);
    const final = this.snapshot();
    await Promise.allSettled(this.sims.map((s) => s.client.endAsync(true)));
    return final;
  }

  /** The stats as of now (connections counted live). */
  snapshot(): SimulationStats {
    this.stats.connected = this.sims.filter((s) => s.client.connected).length;
    return this.stats;
  }

  private connect(device: SimulatedDevice): MqttClient {
    const client = mqtt.connect(this.options.mqttUrl, {
      username: device.token,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    client.on('error', (err) => {
      this.stats.lastError = `${device.id}: ${err.message}`;
    });
    return client;
  }

  private publish(sim: Sim, now: number): void {
    if (sim.inFlight >= MAX_IN_FLIGHT || !sim.client.connected) {
      this.stats.skipped++;
      return;
    }
    const values = sim.signals.next((now - sim.lastSample) / 1000);
    sim.lastSample = now;
    const ts = Math.max(now, sim.lastTs + 1);
    sim.lastTs = ts;
    const topic = `${this.options.topicPrefix}/devices/${sim.device.id}/telemetry`;
    const started = performance.now();
    sim.inFlight++;
    this.stats.sent++;
    sim.client.publish(topic, JSON.stringify({ ts, values }), { qos: this.options.qos }, (err) => {
      sim.inFlight--;
      if (err) {
        this.stats.failed++;
        this.stats.lastError = `${sim.device.id}: ${err.message}`;
        return;
      }
      this.stats.acked++;
      this.stats.points += POINTS_PER_MESSAGE;
      // A ring of the latest latencies: percentiles follow the current load, memory stays flat.
      this.stats.latencies[this.latencySlot++ % LATENCY_WINDOW] = performance.now() - started;
    });
  }

  /** Waits until every message sent was acknowledged (or failed), at most `ms`. */
  private async drain(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.sims.some((s) => s.inFlight > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
}
