import type { TelemetryUpdatePayload } from './events.js';
import { mergeTelemetry } from './payloads.js';

/** What the coalescer needs of one socket: how much it has queued, and a way to write an update to it. */
export interface TelemetryOutlet {
  /** Packets waiting in the socket's queue for its transport (engine.io writeBuffer). */
  queuedPackets(): number;
  write(update: TelemetryUpdatePayload): void;
}

/**
 * Keeps a slow socket's telemetry bounded. While the socket keeps up, updates go straight out. Once
 * `maxQueuedPackets` wait in its queue (the client or its network does not read), updates are held here
 * instead: one per device, each key keeping its newest value. When the socket drains, the held updates are
 * written, oldest device first, as long as the queue has room. Memory per socket is therefore at most
 * `maxQueuedPackets` packets plus one update per subscribed device, whatever the telemetry rate, and ingest
 * never waits for a socket (writes never block; they are queued or held).
 */
export class TelemetryCoalescer {
  private readonly held = new Map<string, TelemetryUpdatePayload>();
  private drainScheduled = false;
  private closed = false;
  /** Updates that were held (folded into a held one, or waiting) instead of written at once. */
  heldTotal = 0;

  constructor(
    private readonly outlet: TelemetryOutlet,
    private readonly maxQueuedPackets: number,
    private readonly schedule: (fn: () => void) => void = setImmediate,
  ) {}

  /**
   * True when the next update must be held: the queue is full, or older updates are still held (writing a
   * newer one ahead of them would reorder a device's values).
   */
  get lagging(): boolean {
    return this.held.size > 0 || this.outlet.queuedPackets() >= this.maxQueuedPackets;
  }

  /** Devices with a held update. */
  get heldDevices(): number {
    return this.held.size;
  }

  /** Writes the update now, or holds it when the socket lags. */
  offer(update: TelemetryUpdatePayload): void {
    if (this.lagging) this.hold(update);
    else this.outlet.write(update);
  }

  hold(update: TelemetryUpdatePayload): void {
    if (this.closed) return;
    this.heldTotal++;
    const older = this.held.get(update.device_id);
    // Re-setting an existing key keeps its place in the Map, so a busy device does not starve the others.
    this.held.set(update.device_id, older ? mergeTelemetry(older, update) : update);
  }

  /**
   * The socket handed its queue to the transport. Called from inside engine.io's flush (possibly within one of
   * our own writes), so the held updates go out on the next turn of the event loop, not re-entrantly.
   */
  onDrain(): void {
    if (this.held.size === 0 || this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    this.schedule(() => {
      this.drainScheduled = false;
      this.flush();
    });
  }

  /** Writes held updates while the queue has room; the rest wait for the next drain. */
  flush(): void {
    for (const [deviceId, update] of this.held) {
      if (this.closed || this.outlet.queuedPackets() >= this.maxQueuedPackets) return;
      this.held.delete(deviceId);
      this.outlet.write(update);
    }
  }

  /** Forgets a device (unsubscribed or deleted). */
  forget(deviceId: string): void {
    this.held.delete(deviceId);
  }

  close(): void {
    this.closed = true;
    this.held.clear();
  }
}
