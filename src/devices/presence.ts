import type { Clock, EventBus, FieldlineEvents, Lifecycle, Logger } from '../kernel/index.js';
import { DEFAULT_INACTIVITY_TIMEOUT_S, type DeviceRef } from './device-ref.js';
import type { DeviceStore } from './store.js';

interface Presence {
  ref: DeviceRef;
  status: 'online' | 'offline';
  lastSeen: number;
  /** Live MQTT connections of this device (a device may reconnect before its old session closed). */
  connections: number;
}

export interface PresenceOptions {
  /** How often silence is checked and presence written to the database. */
  tickMs: number;
}

/**
 * Online/offline per device. Online on connect, status message or data; offline on disconnect, Last Will,
 * status message, or silence longer than the device's inactivity timeout while it has no live connection
 * (a connected device is kept alive by MQTT keep-alive, which the broker enforces). Status changes are
 * announced on the bus at once; last_seen and status reach the database in one batch per tick, so data
 * traffic never turns into one UPDATE per message.
 */
export class PresenceTracker implements Lifecycle {
  readonly name = 'presence';
  private readonly devices = new Map<string, Presence>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: DeviceStore,
    private readonly bus: EventBus<FieldlineEvents>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PresenceOptions = { tickMs: 1000 },
  ) {}

  async start(): Promise<void> {
    // Devices the database still calls online (before a restart) keep their last_seen, so silence takes them
    // offline on time; MQTT devices reconnect and are online again at once.
    for (const row of await this.store.online()) {
      this.devices.set(row.id, {
        ref: {
          id: row.id,
          organizationId: row.organization_id,
          name: row.name,
          deviceType: row.device_type,
          active: row.active === 1,
          inactivityTimeoutS: row.inactivity_timeout_s,
        },
        status: 'online',
        lastSeen: row.last_seen ?? 0,
        connections: 0,
      });
    }
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Data or any message from the device. */
  seen(ref: DeviceRef, at: number = this.clock.now()): void {
    const p = this.entry(ref);
    p.lastSeen = Math.max(p.lastSeen, at);
    this.dirty.add(ref.id);
    if (p.status !== 'online') this.set(p, 'online', 'data');
  }

  connected(ref: DeviceRef): void {
    const p = this.entry(ref);
    p.connections++;
    p.lastSeen = this.clock.now();
    this.dirty.add(ref.id);
    if (p.status !== 'online') this.set(p, 'online', 'connect');
  }

  /** A connection closed; `will` when it ended without DISCONNECT and its Last Will was published. */
  disconnected(ref: DeviceRef, reason: 'disconnect' | 'will' = 'disconnect'): void {
    const p = this.entry(ref);
    p.connections = Math.max(0, p.connections - 1);
    if (p.connections === 0 && p.status !== 'offline') this.set(p, 'offline', reason);
  }

  /** The device said so itself (status topic). */
  reported(ref: DeviceRef, status: 'online' | 'offline'): void {
    const p = this.entry(ref);
    if (status === 'online') p.lastSeen = this.clock.now();
    this.dirty.add(ref.id);
    if (p.status !== status) this.set(p, status, 'status_message');
  }

  statusOf(id: string): 'online' | 'offline' | undefined {
    return this.devices.get(id)?.status;
  }

  /**
   * When this node last heard from the device (ms), if it has: up to a tick newer than the database, and newer
   * than a device row cached before it (the registry's row cache is dropped on status changes only).
   */
  lastSeenOf(id: string): number | undefined {
    return this.devices.get(id)?.lastSeen || undefined;
  }

  forget(id: string): void {
    this.devices.delete(id);
    this.dirty.delete(id);
  }

  /** Checks silence and writes what changed; runs every tick (exposed for tests with fake timers). */
  async tick(): Promise<void> {
    const now = this.clock.now();
    for (const p of this.devices.values()) {
      if (p.status !== 'online' || p.connections > 0) continue;
      const timeout = (p.ref.inactivityTimeoutS ?? DEFAULT_INACTIVITY_TIMEOUT_S) * 1000;
      if (now - p.lastSeen > timeout) this.set(p, 'offline', 'inactivity');
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const updates = [...this.dirty].flatMap((id) => {
      const p = this.devices.get(id);
      return p ? [{ id, status: p.status, last_seen: p.lastSeen || null }] : [];
    });
    this.dirty.clear();
    try {
      await this.store.writePresence(updates);
    } catch (err) {
      for (const u of updates) this.dirty.add(u.id);
      this.log.warn({ err }, 'writing device presence failed; will retry');
    }
  }

  private entry(ref: DeviceRef): Presence {
    let p = this.devices.get(ref.id);
    if (!p) {
      p = { ref, status: 'offline', lastSeen: 0, connections: 0 };
      this.devices.set(ref.id, p);
    } else {
      p.ref = ref;
    }
    return p;
  }

  private set(p: Presence, status: 'online' | 'offline', reason: string): void {
    p.status = status;
    this.dirty.add(p.ref.id);
    this.bus.emit('device.status', {
      organization_id: p.ref.organizationId,
      device_id: p.ref.id,
      status,
      ts: this.clock.now(),
      reason,
    });
  }
}
