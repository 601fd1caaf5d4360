import type { DeviceRef, DeviceRegistry } from '../devices/index.js';
import { type Clock, FieldlineError, type Logger, newId, toIso } from '../kernel/index.js';
import type { NotificationsModule } from '../notify/index.js';
import type { IngestService, RefusalCause } from '../telemetry/index.js';
import type { IngestMapper, MapRefusal, ReceivedMessage } from './mqtt/message-mapper.js';
import { type ActionTarget, StorageFailure } from './mqtt/subscription-router.js';
import type { IntegrationStore } from './store.js';
import type { ForwardAction } from './types.js';

/** How long a forward target's check (same organization, a webhook, not inactive) is trusted. */
const TARGET_CACHE_MS = 5_000;

const causeOf = (reason: MapRefusal): RefusalCause => (reason === 'no_device_id' ? 'unknown_device' : reason);

export interface ResolvedDevice {
  device: DeviceRef | null;
  error: string | null;
  cause: RefusalCause | null;
}

/**
 * Finds the Fieldline device a message is about, in the integration's organization, creating it on first
 * sight when asked. Device ids are global: an id that belongs to another organization is refused, never
 * written to.
 */
export async function resolveDevice(
  devices: DeviceRegistry,
  organizationId: string,
  id: string,
  create: { name: string; device_type: string; metadata: Record<string, unknown> } | null,
): Promise<ResolvedDevice> {
  let ref = await devices.byDeviceId(id);
  if (!ref && create) {
    try {
      await devices.create(organizationId, { id, ...create });
    } catch (err) {
      // Created meanwhile by another message (or node): read it again.
      if (!(err instanceof FieldlineError && err.code === 'FIELDLINE_ERR_CONFLICT')) throw err;
    }
    devices.forget(id);
    ref = await devices.byDeviceId(id);
  }
  if (!ref) return { device: null, error: `no device '${id}' in this organization`, cause: 'unknown_device' };
  if (ref.organizationId !== organizationId)
    return { device: null, error: `device '${id}' belongs to another organization`, cause: 'not_authorized' };
  if (!ref.active) return { device: null, error: `device '${id}' is inactive`, cause: 'inactive_device' };
  return { device: ref, error: null, cause: null };
}

export interface SharedExecutorDeps {
  devices: DeviceRegistry;
  ingest: IngestService;
  notifications: NotificationsModule;
  store: IntegrationStore;
  clock: Clock;
  log: Logger;
}

/**
 * The ingest and forward actions, shared by every MQTT integration (republish belongs to each connection).
 */
export class SharedActionExecutors {
  private readonly targets = new Map<string, { organizationId: string; ok: string | null; at: number }>();

  constructor(private readonly d: SharedExecutorDeps) {}

  async ingest(target: ActionTarget, mapper: IngestMapper, message: ReceivedMessage): Promise<string | null> {
    const mapped = mapper.map(message, this.d.clock.now());
    if (!mapped.ok) {
      this.d.ingest.refuse(null, causeOf(mapped.reason), mapped.detail);
      return mapped.detail;
    }
    const action = mapper.action;
    const found = await resolveDevice(
      this.d.devices,
      target.organizationId,
      mapped.deviceId,
      action.create_devices
        ? {
            name: mapped.deviceId,
            device_type: action.device_type ?? 'mqtt',
            metadata: { integration_id: target.integrationId, source_topic: message.topic },
          }
        : null,
    );
    if (!found.device) {
      this.d.ingest.refuse(null, found.cause ?? 'unknown_device', found.error ?? '');
      return found.error;
    }
    try {
      await this.d.ingest.ingest(found.device, mapped.readings, 'integration');
    } catch (err) {
      throw new StorageFailure(err);
    }
    return null;
  }

  /**
   * Hands the message to a webhook integration through the notifications outbox: durable (a row before
   * anything is sent), retried, SSRF-guarded and signed like every webhook. The body is the message document
   * below (or the webhook integration's payload template over it); X-Fieldline-Event is `mqtt.message`.
   */
  async forward(target: ActionTarget, action: ForwardAction, message: ReceivedMessage): Promise<string | null> {
    const problem = await this.checkTarget(target.organizationId, action.integration_id);
    if (problem) return problem;
    const id = newId(this.d.clock.now());
    const body = message.body();
    const document = {
      event: 'mqtt.message',
      delivery_id: id,
      organization_id: target.organizationId,
      timestamp: toIso(message.receivedAt),
      integration_id: target.integrationId,
      subscription_id: target.subscriptionId,
      topic: message.topic,
      qos: message.qos,
      retain: message.retain,
      values: message.values,
      payload: body.payload,
      payload_encoding: body.encoding,
    };
    const n = this.d.notifications;
    try {
      await n.store.insert({
        id,
        organization_id: target.organizationId,
        channel: 'webhook',
        event: 'mqtt.message',
        target: JSON.stringify({ integration_id: action.integration_id }),
        target_secret: null,
        // The rendered-payload shape of the outbox (notify's StoredPayload): the worker sends `document`.
        payload: JSON.stringify({ meta: { severity: null, device_id: null, device_name: null }, document }),
        idempotency_key: `mqtt:${target.subscriptionId}:${id}`,
        alert_id: null,
        created_at: this.d.clock.now(),
      });
    } catch (err) {
      throw new StorageFailure(err);
    }
    n.worker.wake();
    return null;
  }

  private async checkTarget(organizationId: string, id: string): Promise<string | null> {
    const now = this.d.clock.now();
    const cached = this.targets.get(id);
    if (cached && cached.organizationId === organizationId && now - cached.at < TARGET_CACHE_MS) return cached.ok;
    const row = await this.d.store.get(organizationId, id);
    const ok = !row
      ? `webhook integration ${id} not found`
      : row.type !== 'webhook'
        ? `integration ${id} is a ${row.type} integration, not a webhook`
        : row.status === 'inactive'
          ? `webhook integration '${row.name}' is inactive`
          : null;
    this.targets.set(id, { organizationId, ok, at: now });
    return ok;
  }
}
