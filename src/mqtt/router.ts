import type { DeviceRef, DeviceRegistry, PresenceTracker } from '../devices/index.js';
import { decodeNativeStatus, decodeNativeTelemetry } from '../telemetry/codecs/native.js';
import { decodeThingsBoardAttributes, decodeThingsBoardTelemetry } from '../telemetry/codecs/thingsboard.js';
import {
  ATTRIBUTES_RESPONSE_PREFIX,
  attributesAnswer,
  decodeAttributesRequest,
} from '../telemetry/codecs/thingsboard-attributes-request.js';
import type { Payload } from '../telemetry/codecs/types.js';
import type { IngestService } from '../telemetry/index.js';
import type { MqttIdentity } from './identity.js';
import type { TopicFamily, TopicMatch, TopicScheme } from './topics.js';

/** What to do with a message after it was handled: forward it (under this topic) to subscribers, or not. */
export interface RouteOutcome {
  /** Topic to forward under (ThingsBoard's shared `me` topics are forwarded under the device's own topic). */
  forwardTopic: string | null;
  deviceId: string | null;
  /** An answer for the connection that sent the message alone (ThingsBoard's attribute requests). */
  reply?: { topic: string; payload: string };
}

/** Handlers other modules plug in: Sparkplug B sessions and command responses. */
export interface RouterExtensions {
  sparkplug?: (identity: MqttIdentity, topic: string, payload: Payload) => Promise<RouteOutcome>;
  commandResponse?: (
    device: DeviceRef,
    commandId: string,
    payload: Payload,
    family: 'native' | 'thingsboard',
  ) => Promise<void>;
}

const DROP: RouteOutcome = { forwardTopic: null, deviceId: null };

/** The topic family a device last spoke; commands go back to it the same way. */
export type DeviceProtocol = 'native' | 'thingsboard' | 'sparkplug';

/**
 * Turns one MQTT message into Fieldline actions, independent of the transport (embedded broker or an
 * external one). Resolves after the data is committed, so the caller can acknowledge. Never throws for bad
 * device input: refusals are counted and recorded as the device's last error; it rejects only when storage
 * fails (then the message must not be acknowledged).
 */
export class MqttMessageRouter {
  private readonly protocols = new Map<string, DeviceProtocol>();
  /** Messages routed, by topic family (embedded and external broker alike), for /metrics. */
  readonly received: Record<TopicFamily, number> = { native: 0, thingsboard: 0, sparkplug: 0, alerts: 0, unknown: 0 };

  constructor(
    private readonly topics: TopicScheme,
    private readonly ingest: IngestService,
    private readonly devices: DeviceRegistry,
    private readonly presence: PresenceTracker,
    readonly extensions: RouterExtensions = {},
  ) {}

  /** `match` is the topic already parsed, when the caller has it. */
  async route(
    identity: MqttIdentity,
    topic: string,
    payload: Payload,
    match: TopicMatch = this.topics.parse(topic),
  ): Promise<RouteOutcome> {
    this.received[match.family]++;
    switch (match.family) {
      case 'native': {
        // A device speaks for itself only: no lookup (and no await) on the path every device message takes.
        let device: DeviceRef | null;
        if (identity.kind === 'device') device = identity.device.id === match.deviceId ? identity.device : null;
        else device = await this.deviceOfOrganization(identity, match.deviceId);
        if (!device) return DROP;
        if (match.kind === 'telemetry') {
          const decoded = decodeNativeTelemetry(payload, Date.now());
          if (!decoded.ok) return this.refused(device, decoded.reason, decoded.detail);
          await this.ingest.ingest(device, decoded.readings, 'mqtt');
          if (identity.kind === 'device') this.noteProtocol(device, 'native');
          return { forwardTopic: topic, deviceId: device.id };
        }
        if (match.kind === 'status') {
          const decoded = decodeNativeStatus(payload);
          if (!decoded.ok) return this.refused(device, decoded.reason, decoded.detail);
          this.presence.reported(device, decoded.status);
          return { forwardTopic: topic, deviceId: device.id };
        }
        if (match.kind === 'command_response')
          await this.extensions.commandResponse?.(device, match.commandId, payload, 'native');
        return { forwardTopic: topic, deviceId: device.id };
      }
      case 'thingsboard': {
        if (identity.kind !== 'device') return DROP;
        const device = identity.device;
        if (match.kind === 'telemetry') {
          const decoded = decodeThingsBoardTelemetry(payload, Date.now());
          if (!decoded.ok) return this.refused(device, decoded.reason, decoded.detail);
          await this.ingest.ingest(device, decoded.readings, 'thingsboard');
          this.noteProtocol(device, 'thingsboard');
          return { forwardTopic: this.topics.telemetry(device.id), deviceId: device.id };
        }
        if (match.kind === 'attributes') {
          const decoded = decodeThingsBoardAttributes(payload);
          if (!decoded.ok) return this.refused(device, decoded.reason, decoded.detail);
          await this.devices.mergeAttributes(device.id, decoded.attributes);
          this.presence.seen(device);
          return { forwardTopic: null, deviceId: device.id };
        }
        if (match.kind === 'attributes_request') {
          const request = decodeAttributesRequest(payload);
          if (!request.ok) return this.refused(device, request.reason, request.detail);
          // Client attributes are what the device sent; shared ones are what users set on it (its metadata).
          const row = await this.devices.get(device, device.id);
          const answer = attributesAnswer(request, JSON.parse(row.attributes), JSON.parse(row.metadata));
          this.presence.seen(device);
          return {
            forwardTopic: null,
            deviceId: device.id,
            reply: { topic: ATTRIBUTES_RESPONSE_PREFIX + match.requestId, payload: JSON.stringify(answer) },
          };
        }
        if (match.kind === 'rpc_response')
          await this.extensions.commandResponse?.(device, match.requestId, payload, 'thingsboard');
        return { forwardTopic: null, deviceId: device.id };
      }
      case 'sparkplug':
        if (!this.extensions.sparkplug) {
          this.ingest.refuse(
            identity.kind === 'device' ? identity.device : null,
            'unsupported',
            'Sparkplug B is not enabled',
          );
          return DROP;
        }
        return this.extensions.sparkplug(identity, topic, payload);
      case 'unknown':
        this.ingest.refuse(
          identity.kind === 'device' ? identity.device : null,
          'unsupported',
          `no handler for topic ${topic}`,
        );
        return DROP;
    }
  }

  /** The family of a topic delivered to subscribers (counted by the broker). */
  familyOf(topic: string): TopicFamily {
    return this.topics.family(topic);
  }

  /** Parses a topic once for the ACL and the route. */
  parse(topic: string): TopicMatch {
    return this.topics.parse(topic);
  }

  /** The device a native topic names, when an API key of its organization publishes for it. */
  private async deviceOfOrganization(identity: MqttIdentity, deviceId: string): Promise<DeviceRef | null> {
    const device = await this.devices.byDeviceId(deviceId);
    if (!device || device.organizationId !== identity.organizationId || !device.active) {
      this.ingest.refuse(null, 'unknown_device', `no active device '${deviceId}' in this organization`);
      return null;
    }
    return device;
  }

  /** Remembers (and persists, on change only) which family a device speaks. */
  noteProtocol(device: DeviceRef, protocol: DeviceProtocol): void {
    if (this.protocols.get(device.id) === protocol) return;
    this.protocols.set(device.id, protocol);
    this.devices.setProtocol(device.id, protocol).catch(() => this.protocols.delete(device.id));
  }

  private refused(device: DeviceRef, reason: Parameters<IngestService['refuse']>[1], detail: string): RouteOutcome {
    this.ingest.refuse(device, reason, detail);
    return DROP;
  }
}
