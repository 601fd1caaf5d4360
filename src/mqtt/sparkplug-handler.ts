import type { DeviceRef, DeviceRegistry, PresenceTracker } from '../devices/index.js';
import type { Logger } from '../kernel/index.js';
import {
  parseSparkplugDeviceId,
  type SparkplugResult,
  SparkplugSessions,
  sparkplugDeviceId,
} from '../telemetry/codecs/index.js';
import type { Payload } from '../telemetry/codecs/types.js';
import type { IngestService } from '../telemetry/index.js';
import { type Admission, EdgeNodeLanes } from './edge-node-lanes.js';
import type { MqttIdentity } from './identity.js';
import type { RouteOutcome } from './router.js';
import { edgeNodeMayPublish } from './sparkplug-edge-acl.js';

/** Sends a platform message (the NCMD rebirth request) to the subscribers of one organization. */
export type OrganizationPublisher = (organizationId: string, topic: string, payload: Buffer) => Promise<void>;

/**
 * Sparkplug B on the transport side. The pure session logic (SparkplugSessions) says what a message means;
 * this registers edge nodes and devices on their birth in the organization of the credentials used, stores
 * metrics as telemetry, turns births and deaths into presence, and publishes rebirth requests.
 * Sessions are kept per organization: Sparkplug group ids are not unique across tenants. The messages of one
 * edge node are applied in arrival order (EdgeNodeLanes), other edge nodes and native devices alongside.
 */
export class SparkplugIngest {
  private readonly sessions = new Map<string, SparkplugSessions>();
  private readonly lanes = new EdgeNodeLanes();
  publisher: OrganizationPublisher | null = null;

  constructor(
    private readonly devices: DeviceRegistry,
    private readonly ingest: IngestService,
    private readonly presence: PresenceTracker,
    private readonly log: Logger,
  ) {}

  async handle(identity: MqttIdentity, topic: string, payload: Payload): Promise<RouteOutcome> {
    // The embedded broker's ACL refuses this already; checked here as well because the router serves every
    // transport, and a device token must never register or write another edge node's devices.
    if (identity.kind === 'device' && !edgeNodeMayPublish(identity.device.id, topic)) {
      this.ingest.refuse(identity.device, 'not_authorized', `publishing to ${topic} is not allowed`);
      return DROP;
    }
    const orgId = identity.organizationId;
    const sessions = this.sessionsOf(orgId);
    // The session (seq, aliases) is updated at once, in arrival order: the transports call in that order.
    const result = sessions.handle(topic, payload, Date.now());
    if (result.rebirth) this.requestRebirth(orgId, result.rebirth);
    if (result.kind === 'ignored' || !result.deviceId) {
      if (result.refusal) this.ingest.refuse(null, result.refusal.reason, result.refusal.detail);
      return { forwardTopic: result.refusal ? null : topic, deviceId: null };
    }
    // What needs the database waits for the edge node's earlier messages: a birth registers its devices
    // asynchronously, and the data right behind it must find them. Group ids are per organization.
    const lane = `${orgId}\n${result.group}/${result.edgeNode}`;
    return this.lanes.push(lane, (earlierCommits) => this.admit(orgId, topic, result, sessions, earlierCommits));
  }

  private sessionsOf(orgId: string): SparkplugSessions {
    let sessions = this.sessions.get(orgId);
    if (!sessions) {
      sessions = new SparkplugSessions();
      this.sessions.set(orgId, sessions);
    }
    return sessions;
  }

  /** One message's device, presence and readings (handed to the group commit, not awaited here). */
  private async admit(
    orgId: string,
    topic: string,
    result: SparkplugResult,
    sessions: SparkplugSessions,
    earlierCommits: Promise<void>,
  ): Promise<Admission<RouteOutcome>> {
    const device = await this.deviceFor(orgId, result, sessions);
    if (!device) return { outcome: DROP, committed: COMMITTED };
    if (result.refusal) this.ingest.refuse(device, result.refusal.reason, result.refusal.detail);
    // A birth says the node (or device) is online whether or not its metrics are committed yet: announce it
    // first, so the edge node does not read offline while its birth's readings wait for their commit.
    for (const id of result.onlineDevices ?? []) await this.setPresence(orgId, id, 'online');
    if (result.offlineDevices) {
      // A commit marks its device seen (online): the data before a death must land before the death does.
      await earlierCommits;
      for (const id of result.offlineDevices) await this.setPresence(orgId, id, 'offline');
    }
    const committed = result.readings.length > 0 ? this.ingest.ingest(device, result.readings, 'sparkplug') : COMMITTED;
    return { outcome: { forwardTopic: topic, deviceId: device.id }, committed };
  }

  /** The Fieldline device a Sparkplug message is about; registered on its birth, refused if another tenant owns it. */
  private async deviceFor(
    orgId: string,
    result: SparkplugResult,
    sessions: SparkplugSessions,
  ): Promise<DeviceRef | null> {
    const id = result.deviceId as string;
    // A device belongs to its edge node: only under an edge node of this organization is anything registered
    // or stored, so one tenant cannot take the ids of another's devices (ids are unique across the platform).
    let edgeNode: DeviceRef | null = null;
    if (result.device !== undefined) {
      const edgeId = sparkplugDeviceId({ group: result.group, edgeNode: result.edgeNode });
      edgeNode = await this.devices.byDeviceId(edgeId);
      if (!edgeNode || edgeNode.organizationId !== orgId) {
        const why = edgeNode ? 'belongs to another organization' : 'has not been born (NBIRTH comes first)';
        this.ingest.refuse(null, edgeNode ? 'not_authorized' : 'unknown_device', `edge node '${edgeId}' ${why}`);
        if (!edgeNode) this.askRebirth(orgId, result, sessions);
        return null;
      }
    }
    const existing = await this.devices.byDeviceId(id);
    if (existing) {
      if (existing.organizationId === orgId && existing.active) return existing;
      // Told on the edge node too, when there is one here: its owner sees why a device's data is missing.
      this.ingest.refuse(
        edgeNode,
        'not_authorized',
        `Sparkplug device '${id}' belongs to another organization or is inactive`,
      );
      return null;
    }
    if (result.kind !== 'birth') {
      this.ingest.refuse(edgeNode, 'unknown_device', `Sparkplug device '${id}' is not registered`);
      // Its birth's registration failed, or the device was deleted meanwhile: only a new birth registers it.
      this.askRebirth(orgId, result, sessions);
      return null;
    }
    const sp = parseSparkplugDeviceId(id);
    const { row } = await this.devices.create(orgId, {
      id,
      name: sp?.device ?? sp?.edgeNode ?? id,
      device_type: result.device === undefined ? 'sparkplug-edge-node' : 'sparkplug-device',
      metadata: {
        sparkplug: {
          group: result.group,
          edge_node: result.edgeNode,
          ...(result.device === undefined ? {} : { device: result.device }),
        },
        metrics: result.metrics ?? [],
      },
    });
    await this.devices.setProtocol(row.id, 'sparkplug');
    this.log.info({ device_id: id, org: orgId }, 'registered a Sparkplug device from its birth certificate');
    return this.devices.byDeviceId(row.id);
  }

  /** A rebirth request to the edge node, at most as often as SparkplugSessions allows. */
  private askRebirth(orgId: string, result: SparkplugResult, sessions: SparkplugSessions): void {
    const rebirth = sessions.rebirthRequest(result.group, result.edgeNode, Date.now());
    if (rebirth) this.requestRebirth(orgId, rebirth);
  }

  private requestRebirth(orgId: string, rebirth: { topic: string; payload: Buffer }): void {
    this.publisher?.(orgId, rebirth.topic, rebirth.payload).catch((err: unknown) =>
      this.log.warn({ err, topic: rebirth.topic }, 'rebirth request failed'),
    );
  }

  private async setPresence(orgId: string, id: string, status: 'online' | 'offline'): Promise<void> {
    const device = await this.devices.byDeviceId(id);
    if (device && device.organizationId === orgId) this.presence.reported(device, status);
  }
}

const DROP: RouteOutcome = { forwardTopic: null, deviceId: null };
const COMMITTED: Promise<void> = Promise.resolve();
