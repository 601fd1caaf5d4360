import type { DeviceRegistry } from '../../devices/index.js';
import { type Clock, FieldlineError, type Logger } from '../../kernel/index.js';
import type { SsrfGuard } from '../../notify/index.js';
import { decodeNativeDocument } from '../../telemetry/codecs/index.js';
import type { IngestService } from '../../telemetry/index.js';
import { resolveDevice } from '../action-executors.js';
import type { DeviceLinkRow, IntegrationRow, IntegrationStore } from '../store.js';
import type { GoliothIntegrationConfig } from '../types.js';
import { GOLIOTH_API_URL, GoliothApiError, GoliothClient, GoliothHttp } from './client.js';
import { eventValues, readGoliothEvent } from './inbound.js';

export interface GoliothDeps {
  store: IntegrationStore;
  devices: DeviceRegistry;
  ingest: IngestService;
  guard: SsrfGuard;
  clock: Clock;
  log: Logger;
  configOf: (row: IntegrationRow) => GoliothIntegrationConfig;
}

export interface WebhookResult {
  device_id: string;
  golioth_device_id: string;
  kind: 'stream' | 'state';
  points: number;
  device_created: boolean;
}

/** A Golioth API failure as an HTTP answer: the upstream's words, 502 (or 504 on a timeout). */
export function upstreamError(err: unknown): FieldlineError {
  if (err instanceof GoliothApiError) {
    const code =
      err.status === null && /within/.test(err.message) ? 'FIELDLINE_ERR_TIMEOUT' : 'FIELDLINE_ERR_BAD_GATEWAY';
    return new FieldlineError(code, err.message);
  }
  if (err instanceof FieldlineError) return err;
  const refused = (err as { code?: string } | null)?.code === 'FIELDLINE_SSRF_REFUSED';
  return new FieldlineError(
    refused ? 'FIELDLINE_ERR_UNPROCESSABLE' : 'FIELDLINE_ERR_BAD_GATEWAY',
    err instanceof Error ? err.message : String(err),
  );
}

/**
 * Golioth for Fieldline: device data that Golioth pushes to the inbound webhook becomes telemetry of
 * Fieldline devices (created on first sight and linked to their Golioth device), and the REST API reaches the
 * devices back (LightDB State, RPC, OTA releases).
 */
export class GoliothService {
  readonly http: GoliothHttp;
  /** Fieldline device id → its Golioth link (for commands, which must know synchronously). */
  private readonly links = new Map<string, DeviceLinkRow>();

  constructor(private readonly d: GoliothDeps) {
    this.http = new GoliothHttp(d.guard);
  }

  async start(): Promise<void> {
    for (const link of await this.d.store.allLinks()) this.links.set(link.device_id, link);
  }

  async stop(): Promise<void> {
    await this.http.close();
  }

  linkOf(deviceId: string): DeviceLinkRow | undefined {
    return this.links.get(deviceId);
  }

  forgetDevice(deviceId: string): void {
    this.links.delete(deviceId);
  }

  client(row: IntegrationRow): GoliothClient {
    const config = this.d.configOf(row);
    if (!config.api_key)
      throw new FieldlineError(
        'FIELDLINE_ERR_CONFLICT',
        `integration '${row.name}' has no api_key: set one to use Golioth's API`,
      );
    return new GoliothClient(this.http, config.api_url ?? GOLIOTH_API_URL, config.project_id, config.api_key);
  }

  /** Checks the API key and project (the connection test of a Golioth integration). */
  async test(config: GoliothIntegrationConfig): Promise<{ ok: boolean; message: string; devices: number | null }> {
    if (!config.api_key)
      return { ok: true, message: 'No api_key: only the inbound webhook is used (nothing to test)', devices: null };
    const client = new GoliothClient(this.http, config.api_url ?? GOLIOTH_API_URL, config.project_id, config.api_key);
    try {
      const { total } = await client.check();
      return { ok: true, message: `Golioth project '${config.project_id}' reached with this API key`, devices: total };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err), devices: null };
    }
  }

  /** The Golioth device id of a Fieldline device of this integration, or 404. */
  externalId(row: IntegrationRow, deviceId: string): string {
    const link = this.links.get(deviceId);
    if (!link || link.integration_id !== row.id)
      throw new FieldlineError(
        'FIELDLINE_ERR_NOT_FOUND',
        `device '${deviceId}' is not a Golioth device of this integration`,
      );
    return link.external_id;
  }

  /** One inbound event (already authenticated): the device, created and linked on first sight, and its telemetry. */
  async receive(
    row: IntegrationRow,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
  ): Promise<WebhookResult> {
    const config = this.d.configOf(row);
    try {
      const result = await this.ingestEvent(row, config, headers, body);
      await this.d.store.setHealth(row.id, {
        last_sync_at: this.d.clock.now(),
        sync_status: 'received',
        error_message: null,
        ...(row.status === 'error' ? { status: 'active' } : {}),
      });
      return result;
    } catch (err) {
      if (err instanceof FieldlineError && err.status < 500)
        await this.d.store.setHealth(row.id, { sync_status: 'refused', error_message: err.message.slice(0, 500) });
      throw err;
    }
  }

  private async ingestEvent(
    row: IntegrationRow,
    config: GoliothIntegrationConfig,
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
  ): Promise<WebhookResult> {
    const read = readGoliothEvent(headers, body);
    if (!read.ok) throw new FieldlineError('FIELDLINE_ERR_VALIDATION', read.detail);
    const event = read.event;
    if (event.projectId && event.projectId !== config.project_id)
      throw new FieldlineError(
        'FIELDLINE_ERR_UNPROCESSABLE',
        `event of Golioth project '${event.projectId}'; this integration is for '${config.project_id}'`,
      );
    if (!/^[A-Za-z0-9._:-]{1,100}$/.test(event.deviceId))
      throw new FieldlineError('FIELDLINE_ERR_VALIDATION', 'the Golioth device id is not a valid id');
    const now = this.d.clock.now();
    let link = await this.d.store.link(row.id, event.deviceId);
    const deviceId = link?.device_id ?? `${config.device_id_prefix ?? 'golioth-'}${event.deviceId}`;
    const existed = link !== undefined || (await this.d.devices.byDeviceId(deviceId)) !== null;
    const found = await resolveDevice(
      this.d.devices,
      row.organization_id,
      deviceId,
      config.create_devices === false
        ? null
        : {
            name: `Golioth ${event.deviceId}`,
            device_type: config.device_type ?? 'golioth',
            metadata: { golioth: { project_id: config.project_id, device_id: event.deviceId, integration_id: row.id } },
          },
    );
    if (!found.device) {
      this.d.ingest.refuse(null, found.cause ?? 'unknown_device', found.error ?? '');
      throw new FieldlineError(
        found.cause === 'not_authorized' ? 'FIELDLINE_ERR_CONFLICT' : 'FIELDLINE_ERR_UNPROCESSABLE',
        found.error ?? 'no device',
      );
    }
    if (!link) {
      link = await this.d.store.insertLink({
        integration_id: row.id,
        external_id: event.deviceId,
        organization_id: row.organization_id,
        device_id: found.device.id,
        created_at: now,
      });
    }
    this.links.set(link.device_id, link);
    const values = eventValues(event, config.path_prefix_keys !== false);
    if (Object.keys(values).length === 0)
      return {
        device_id: found.device.id,
        golioth_device_id: event.deviceId,
        kind: event.kind,
        points: 0,
        device_created: !existed,
      };
    const decoded = decodeNativeDocument({ ts: event.ts ?? now, values }, now);
    if (!decoded.ok) {
      this.d.ingest.refuseDecoded(found.device, decoded);
      throw new FieldlineError('FIELDLINE_ERR_UNPROCESSABLE', `${decoded.reason}: ${decoded.detail}`);
    }
    await this.d.ingest.ingest(found.device, decoded.readings, 'integration');
    return {
      device_id: found.device.id,
      golioth_device_id: event.deviceId,
      kind: event.kind,
      points: decoded.readings.length,
      device_created: !existed,
    };
  }
}
