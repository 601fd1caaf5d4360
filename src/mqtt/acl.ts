import { type MqttIdentity, mayPublishAsOrganization } from './identity.js';
import { edgeNodeMayPublish, edgeNodeMaySubscribe } from './sparkplug-edge-acl.js';
import { type TopicMatch, type TopicScheme, topicMatches } from './topics.js';

/** What the server sends a device on ThingsBoard's shared `me` topics. */
const THINGSBOARD_DOWNLINKS = [
  'v1/devices/me/rpc/request/+',
  'v1/devices/me/attributes',
  'v1/devices/me/attributes/response/+',
];

/**
 * Who may publish and subscribe where. A device: only under its own topics (native, ThingsBoard `me`
 * topics, and Sparkplug as the edge node it is, see sparkplug-edge-acl.ts). An API key: subscribe to its
 * organization's device topics, alerts and Sparkplug; publish (operator and up) native telemetry and Sparkplug
 * on behalf of its organization. Subscriptions to shared topics are safe because every delivery is also
 * filtered by organization (see EmbeddedBroker's authorizeForward).
 */
export class TopicAcl {
  constructor(private readonly topics: TopicScheme) {}

  /** `match` is the topic already parsed, when the caller has it (the broker parses each topic once). */
  canPublish(identity: MqttIdentity, topic: string, match: TopicMatch = this.topics.parse(topic)): boolean {
    if (topic.startsWith('$')) return false;
    if (identity.kind === 'device') {
      switch (match.family) {
        case 'native':
          return match.deviceId === identity.device.id;
        case 'thingsboard':
          return true;
        case 'sparkplug':
          return edgeNodeMayPublish(identity.device.id, topic);
        case 'unknown':
          return false;
      }
    }
    if (!mayPublishAsOrganization(identity)) return false;
    return match.family === 'sparkplug' || (match.family === 'native' && match.kind !== 'command_response');
  }

  /**
   * May this connection be sent a message on this (concrete) topic? Checked at every delivery, not only at
   * SUBSCRIBE: a persistent session can hold subscriptions that were never granted (Aedes stores every filter of
   * a SUBSCRIBE packet with a session once one of them is granted) or that an earlier holder of the client id
   * was granted; neither may reach this device.
   */
  mayReceive(identity: MqttIdentity, topic: string): boolean {
    if (identity.kind !== 'device') return this.canSubscribe(identity, topic);
    if (topic.startsWith('v1/devices/me/')) return THINGSBOARD_DOWNLINKS.some((f) => topicMatches(f, topic));
    return this.canSubscribe(identity, topic);
  }

  canSubscribe(identity: MqttIdentity, filter: string): boolean {
    if (filter.startsWith('$')) return false;
    const prefix = this.topics.prefix;
    if (identity.kind === 'device') {
      const own = `${this.topics.devicesPrefix}${identity.device.id}/commands/`;
      if (
        filter === `${own}#` ||
        filter === `${own}+` ||
        (filter.startsWith(own) && !filter.slice(own.length).includes('/'))
      )
        return true;
      if (
        filter === 'v1/devices/me/rpc/request/+' ||
        filter === 'v1/devices/me/attributes' ||
        filter === 'v1/devices/me/attributes/response/+'
      )
        return true;
      // An edge node listens for the NCMD/DCMD addressed to it, and for host applications' STATE (§5.13), which
      // names no edge node; delivery is still limited to the organization.
      return edgeNodeMaySubscribe(identity.device.id, filter) || filter.startsWith('spBv1.0/STATE/');
    }
    return (
      filter === '#' ||
      filter === `${prefix}/#` ||
      filter.startsWith(`${this.topics.devicesPrefix}`) ||
      filter.startsWith(`${prefix}/alerts/`) ||
      filter === `${prefix}/alerts` ||
      filter.startsWith('spBv1.0/')
    );
  }
}
