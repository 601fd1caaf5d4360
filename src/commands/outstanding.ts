import type { Clock } from '../kernel/index.js';
import type { JsonValue } from '../telemetry/codecs/index.js';
import type { CommandRow } from './store.js';

/** A command this node follows (pending or delivered), with its one timer. */
export interface Outstanding {
  id: string;
  deviceId: string;
  organizationId: string;
  name: string;
  params: JsonValue;
  status: 'pending' | 'delivered';
  family: string | null;
  timeoutMs: number;
  expiresAt: number;
  deliveredAt: number | null;
  timer: NodeJS.Timeout | null;
}

/** setTimeout's limit is 2^31-1 ms (~24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2_000_000_000;

/**
 * The outstanding commands of this node, by id and per device in creation order, each with one timer for its
 * next deadline: expires_at while pending, delivered_at + timeout_ms once delivered. When a deadline passes,
 * `due` is called with the command (the service decides what it means).
 */
export class OutstandingCommands {
  private readonly byId = new Map<string, Outstanding>();
  /** Ids per device; a Set keeps insertion (= creation) order. */
  private readonly byDevice = new Map<string, Set<string>>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly due: (o: Outstanding) => void,
  ) {}

  get(id: string): Outstanding | undefined {
    return this.byId.get(id);
  }

  /** The device's outstanding commands, oldest first. */
  ofDevice(deviceId: string): Outstanding[] {
    return [...(this.byDevice.get(deviceId) ?? [])].flatMap((id) => this.byId.get(id) ?? []);
  }

  hasPending(deviceId: string): boolean {
    const ids = this.byDevice.get(deviceId);
    if (!ids) return false;
    for (const id of ids) if (this.byId.get(id)?.status === 'pending') return true;
    return false;
  }

  /** Follows a pending or delivered row. */
  add(row: CommandRow): Outstanding {
    this.remove(row.id);
    const o: Outstanding = {
      id: row.id,
      deviceId: row.device_id,
      organizationId: row.organization_id,
      name: row.name,
      params: JSON.parse(row.params) as JsonValue,
      status: row.status === 'delivered' ? 'delivered' : 'pending',
      family: row.family,
      timeoutMs: row.timeout_ms,
      expiresAt: row.expires_at,
      deliveredAt: row.status === 'delivered' ? (row.delivered_at ?? row.created_at) : null,
      timer: null,
    };
    this.byId.set(o.id, o);
    let ids = this.byDevice.get(o.deviceId);
    if (!ids) {
      ids = new Set();
      this.byDevice.set(o.deviceId, ids);
    }
    ids.add(o.id);
    this.arm(o);
    return o;
  }

  delivered(o: Outstanding, at: number, family: string): void {
    o.status = 'delivered';
    o.deliveredAt = at;
    o.family = family;
    this.arm(o);
  }

  /** Back to pending (nobody took the message). */
  undelivered(o: Outstanding): void {
    o.status = 'pending';
    o.deliveredAt = null;
    this.arm(o);
  }

  remove(id: string): void {
    const o = this.byId.get(id);
    if (!o) return;
    if (o.timer) clearTimeout(o.timer);
    this.byId.delete(id);
    const ids = this.byDevice.get(o.deviceId);
    ids?.delete(id);
    if (ids?.size === 0) this.byDevice.delete(o.deviceId);
  }

  forgetDevice(deviceId: string): void {
    for (const o of this.ofDevice(deviceId)) this.remove(o.id);
  }

  /** The devices with outstanding commands. */
  devices(): string[] {
    return [...this.byDevice.keys()];
  }

  /** Every id currently followed for a device (for the ThingsBoard request id lookup). */
  idsOf(deviceId: string): string[] {
    return [...(this.byDevice.get(deviceId) ?? [])];
  }

  clear(): void {
    this.stopped = true;
    for (const o of this.byId.values()) if (o.timer) clearTimeout(o.timer);
    this.byId.clear();
    this.byDevice.clear();
  }

  restart(): void {
    this.stopped = false;
  }

  private arm(o: Outstanding): void {
    if (o.timer) clearTimeout(o.timer);
    const at = o.status === 'pending' ? o.expiresAt : (o.deliveredAt ?? 0) + o.timeoutMs;
    const delay = Math.max(0, at - this.clock.now());
    o.timer = setTimeout(
      () => {
        o.timer = null;
        if (this.stopped || this.byId.get(o.id) !== o) return;
        if (delay > MAX_TIMER_MS) this.arm(o);
        else this.due(o);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    o.timer.unref();
  }
}
