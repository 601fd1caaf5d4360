import type { Principal } from '../auth/index.js';
import { CACHE_SPECS, type Cache, CacheLayer } from '../cache/index.js';
import {
  type Clock,
  conflict,
  type EventBus,
  type FieldlineEvents,
  hashSecret,
  newSecret,
  notFound,
} from '../kernel/index.js';
import { isUniqueViolation } from '../storage/index.js';
import type { DeviceRef } from './device-ref.js';
import type { DeviceRow, DeviceStore } from './store.js';

export interface NewDevice {
  id?: string;
  name: string;
  device_type?: string;
  location?: string | null;
  active?: boolean;
  metadata?: Record<string, unknown>;
  inactivity_timeout_s?: number | null;
}

export type DevicePatch = Partial<Omit<NewDevice, 'id'>>;

const toRef = (row: DeviceRow): DeviceRef => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  deviceType: row.device_type,
  active: row.active === 1,
  inactivityTimeoutS: row.inactivity_timeout_s,
});

/** Hook for the telemetry module: removes what a device owned beyond its row (cached series ids). */
export type DeviceDeletedHook = (deviceId: string) => void;

/**
 * The device registry. Lookups on the ingest path (by id, by access-token hash) and the rows the API shows
 * are served from the cache layer (in-process, in front of Redis when configured); every change goes through
 * here and invalidates the entries on every node, so a rotated token or a deactivated device stops working
 * at the next message wherever it arrives.
 */
export class DeviceRegistry {
  private readonly byId: Cache<DeviceRef | null>;
  // Only known tokens are cached: remembering unknown ones would let anyone fill the cache with guesses.
  private readonly byToken: Cache<DeviceRef>;
  private readonly rows: Cache<DeviceRow | null>;
  private readonly tokenOf = new Map<string, string>();
  private readonly deletedHooks: DeviceDeletedHook[] = [];

  constructor(
    private readonly store: DeviceStore,
    private readonly clock: Clock,
    private readonly bus: EventBus<FieldlineEvents>,
    caches: CacheLayer = new CacheLayer({ redisUrl: null, clock }),
  ) {
    this.byId = caches.cache(CACHE_SPECS.devices);
    this.byToken = caches.cache(CACHE_SPECS.deviceTokens);
    this.rows = caches.cache(CACHE_SPECS.deviceRows);
    // The API's row carries status and last_seen, which presence writes without going through here.
    bus.on('device.status', (e) => this.rows.invalidateSoon(e.device_id));
  }

  onDeleted(hook: DeviceDeletedHook): void {
    this.deletedHooks.push(hook);
  }

  /**
   * Calls the listener with the ids of devices whose identity may have changed — deleted, deactivated, given a
   * new token — on this node or, with Redis, on any other (null: possibly every device). Answers the unsubscribe.
   */
  onIdentityChanged(listener: (deviceIds: readonly string[] | null) => void): () => void {
    return this.byId.onInvalidate((keys) => listener(keys));
  }

  async create(organizationId: string, input: NewDevice): Promise<{ row: DeviceRow; accessToken: string }> {
    const now = this.clock.now();
    const accessToken = newSecret(24);
    const row: DeviceRow = {
      id:
        input.id ??
        `dev-${newSecret(9)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}`,
      organization_id: organizationId,
      name: input.name,
      device_type: input.device_type ?? 'generic',
      location: input.location ?? null,
      active: input.active === false ? 0 : 1,
      metadata: JSON.stringify(input.metadata ?? {}),
      attributes: '{}',
      status: 'offline',
      last_seen: null,
      token_hash: hashSecret(accessToken),
      inactivity_timeout_s: input.inactivity_timeout_s ?? null,
      protocol: null,
      last_error: null,
      last_error_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A device with id '${row.id}' already exists`);
      throw err;
    }
    await this.invalidate(row.id);
    this.bus.emit('device.updated', { organization_id: organizationId, device_id: row.id, action: 'created' });
    return { row, accessToken };
  }

  /** The device if it belongs to the caller's organization; 404 otherwise (ids of others leak nothing). */
  async get(principal: Pick<Principal, 'organizationId'>, id: string): Promise<DeviceRow> {
    const row = await this.rows.get(id, async () => (await this.store.byId(id)) ?? null);
    if (!row || row.organization_id !== principal.organizationId) throw notFound('device', id);
    return row;
  }

  /** The row as stored now (not cached): what a change starts from. */
  private async current(principal: Pick<Principal, 'organizationId'>, id: string): Promise<DeviceRow> {
    const row = await this.store.byId(id);
    if (!row || row.organization_id !== principal.organizationId) throw notFound('device', id);
    return row;
  }

  async update(principal: Pick<Principal, 'organizationId'>, id: string, patch: DevicePatch): Promise<DeviceRow> {
    const row = await this.current(principal, id);
    const changes: Partial<DeviceRow> = { updated_at: this.clock.now() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.device_type !== undefined) changes.device_type = patch.device_type;
    if (patch.location !== undefined) changes.location = patch.location;
    if (patch.active !== undefined) changes.active = patch.active ? 1 : 0;
    if (patch.metadata !== undefined) changes.metadata = JSON.stringify(patch.metadata);
    if (patch.inactivity_timeout_s !== undefined) changes.inactivity_timeout_s = patch.inactivity_timeout_s;
    await this.store.update(id, changes);
    await this.invalidate(id, row.token_hash);
    this.bus.emit('device.updated', { organization_id: row.organization_id, device_id: id, action: 'updated' });
    return { ...row, ...changes };
  }

  async delete(principal: Pick<Principal, 'organizationId'>, id: string): Promise<DeviceRow> {
    const row = await this.current(principal, id);
    await this.store.delete(id);
    await this.invalidate(id, row.token_hash);
    for (const hook of this.deletedHooks) hook(id);
    this.bus.emit('device.updated', { organization_id: row.organization_id, device_id: id, action: 'deleted' });
    return row;
  }

  async rotateToken(principal: Pick<Principal, 'organizationId'>, id: string): Promise<string> {
    const row = await this.current(principal, id);
    const accessToken = newSecret(24);
    await this.store.update(id, { token_hash: hashSecret(accessToken), updated_at: this.clock.now() });
    await this.invalidate(id, row.token_hash);
    this.bus.emit('device.updated', { organization_id: row.organization_id, device_id: id, action: 'credentials' });
    return accessToken;
  }

  /** The active device holding this access token, or null. */
  async byAccessToken(token: string): Promise<DeviceRef | null> {
    const hash = hashSecret(token);
    const ref = await this.byToken.get(
      hash,
      async () => {
        const row = await this.store.byTokenHash(hash);
        return row ? toRef(row) : (null as unknown as DeviceRef);
      },
      { keep: (r) => r !== null },
    );
    if (!ref) return null;
    this.tokenOf.set(ref.id, hash);
    return ref.active ? ref : null;
  }

  /** byAccessToken from the database itself, past every cache: for re-checking a connection that is open. */
  async byAccessTokenUncached(token: string): Promise<DeviceRef | null> {
    const row = await this.store.byTokenHash(hashSecret(token));
    return row?.active ? toRef(row) : null;
  }

  /** Any device by id (no organization check: callers check ref.organizationId themselves). */
  async byDeviceId(id: string): Promise<DeviceRef | null> {
    return this.byId.get(id, async () => {
      const row = await this.store.byId(id);
      return row ? toRef(row) : null;
    });
  }

  /** Records why a device's last message was refused, for the API (throttled by the caller). */
  async recordError(id: string, message: string): Promise<void> {
    await this.store.update(id, { last_error: message.slice(0, 500), last_error_at: this.clock.now() });
    this.rows.invalidateSoon(id);
  }

  async setProtocol(id: string, protocol: string): Promise<void> {
    await this.store.update(id, { protocol });
    this.rows.invalidateSoon(id);
  }

  async mergeAttributes(id: string, attributes: Record<string, unknown>): Promise<void> {
    const row = await this.store.byId(id);
    if (!row) return;
    const merged = { ...(JSON.parse(row.attributes) as Record<string, unknown>), ...attributes };
    await this.store.update(id, { attributes: JSON.stringify(merged), updated_at: this.clock.now() });
    this.rows.invalidateSoon(id);
  }

  /** Drops what is cached about a device, here and on every node (fire and forget; see invalidate). */
  forget(id: string, tokenHash?: string): void {
    void this.invalidate(id, tokenHash);
  }

  /** Drops what is cached about a device on every node; resolves once the other nodes were told. */
  private async invalidate(id: string, tokenHash?: string): Promise<void> {
    const hashes = [...new Set([tokenHash, this.tokenOf.get(id)].filter((h): h is string => !!h))];
    this.tokenOf.delete(id);
    await Promise.all([this.byId.invalidate(id), this.rows.invalidate(id), this.byToken.invalidate(...hashes)]);
  }
}
