/**
 * Sparkplug B topics and how Sparkplug identities map onto Fieldline's device ids and telemetry keys.
 * Sparkplug B 3.0 §4.1: `namespace/group_id/message_type/edge_node_id/[device_id]`, namespace `spBv1.0`
 * [tck-id-topic-structure-namespace-a]; STATE is `spBv1.0/STATE/{host_id}` (§5.13
 * [tck-id-operational-behavior-host-application-connect-birth-topic]).
 */

export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export type SparkplugNodeMessageType = 'NBIRTH' | 'NDATA' | 'NDEATH' | 'NCMD';
export type SparkplugDeviceMessageType = 'DBIRTH' | 'DDATA' | 'DDEATH' | 'DCMD';
export type SparkplugMessageType = SparkplugNodeMessageType | SparkplugDeviceMessageType | 'STATE';

export interface SparkplugNodeTopic {
  namespace: typeof SPARKPLUG_NAMESPACE;
  type: SparkplugNodeMessageType;
  group: string;
  edgeNode: string;
  device?: undefined;
}
export interface SparkplugDeviceTopic {
  namespace: typeof SPARKPLUG_NAMESPACE;
  type: SparkplugDeviceMessageType;
  group: string;
  edgeNode: string;
  device: string;
}
export interface SparkplugStateTopic {
  namespace: typeof SPARKPLUG_NAMESPACE;
  type: 'STATE';
  hostId: string;
}
export type SparkplugTopic = SparkplugNodeTopic | SparkplugDeviceTopic | SparkplugStateTopic;

const NODE_TYPES: ReadonlySet<string> = new Set<SparkplugNodeMessageType>(['NBIRTH', 'NDATA', 'NDEATH', 'NCMD']);
const DEVICE_TYPES: ReadonlySet<string> = new Set<SparkplugDeviceMessageType>(['DBIRTH', 'DDATA', 'DDEATH', 'DCMD']);

/**
 * Parses a Sparkplug B topic, or answers null. Node messages have exactly four levels and device messages
 * five: the device_id MUST be present on D* topics and MUST NOT be on N* topics (§4.1.5
 * [tck-id-topic-structure-namespace-device-id-associated-message-types], […-non-associated-message-types]).
 * Empty levels and the reserved characters `+ / #` in an id (§4.1.2, §4.1.4, §4.1.5) are refused.
 */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  if (!topic.startsWith('spBv1.0/')) return null;
  const parts = topic.split('/');
  for (const part of parts) {
    if (!isSparkplugId(part)) return null;
  }
  const [, second, third, fourth, fifth] = parts;
  if (parts.length === 3 && second === 'STATE' && third !== undefined) {
    return { namespace: SPARKPLUG_NAMESPACE, type: 'STATE', hostId: third };
  }
  if (second === undefined || third === undefined || fourth === undefined) return null;
  if (parts.length === 4 && NODE_TYPES.has(third)) {
    return {
      namespace: SPARKPLUG_NAMESPACE,
      type: third as SparkplugNodeMessageType,
      group: second,
      edgeNode: fourth,
    };
  }
  if (parts.length === 5 && fifth !== undefined && DEVICE_TYPES.has(third)) {
    return {
      namespace: SPARKPLUG_NAMESPACE,
      type: third as SparkplugDeviceMessageType,
      group: second,
      edgeNode: fourth,
      device: fifth,
    };
  }
  return null;
}

/** A Sparkplug id (group, edge node, device, host): non-empty, no `+` or `#` (`/` is the level separator). */
function isSparkplugId(part: string): boolean {
  return part.length > 0 && part.indexOf('+') === -1 && part.indexOf('#') === -1;
}

export function sparkplugTopic(
  group: string,
  type: SparkplugNodeMessageType | SparkplugDeviceMessageType,
  edgeNode: string,
  device?: string,
): string {
  return device === undefined
    ? `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}`
    : `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}/${device}`;
}

/** Who a Sparkplug message is about: an edge node (no device) or one of its devices. */
export interface SparkplugIdentity {
  group: string;
  edgeNode: string;
  device?: string | undefined;
}

/**
 * The Fieldline device id of a Sparkplug edge node or device — the one place this mapping lives:
 *   edge node  →  `{group}:{edgeNode}`            e.g. `Plant1:Line4`
 *   device     →  `{group}:{edgeNode}:{device}`   e.g. `Plant1:Line4:Press7`
 * Stable across restarts and rebirths, readable, and unique: group+edge node is unique in a Sparkplug
 * infrastructure (§4.1.4 [tck-id-topic-structure-namespace-unique-edge-node-descriptor]) and a device id is
 * unique under its edge node (§4.1.5). Sparkplug ids may contain `:`, so `%` and `:` inside an id are
 * percent-encoded (`a:b` → `a%3Ab`), which keeps the mapping reversible (see parseSparkplugDeviceId).
 */
export function sparkplugDeviceId(identity: SparkplugIdentity): string {
  const node = `${escapeId(identity.group)}:${escapeId(identity.edgeNode)}`;
  return identity.device === undefined ? node : `${node}:${escapeId(identity.device)}`;
}

/** The inverse of sparkplugDeviceId, or null for an id that is not one (e.g. a native device's id). */
export function parseSparkplugDeviceId(deviceId: string): SparkplugIdentity | null {
  const parts = deviceId.split(':');
  if (parts.length !== 2 && parts.length !== 3) return null;
  const ids: string[] = [];
  for (const part of parts) {
    const id = unescapeId(part);
    if (id === null || !isSparkplugId(id) || id.indexOf('/') !== -1) return null;
    ids.push(id);
  }
  const [group, edgeNode, device] = ids as [string, string, string | undefined];
  return device === undefined ? { group, edgeNode } : { group, edgeNode, device };
}

function escapeId(id: string): string {
  return id.indexOf('%') === -1 && id.indexOf(':') === -1 ? id : id.replaceAll('%', '%25').replaceAll(':', '%3A');
}

function unescapeId(part: string): string | null {
  if (part.indexOf('%') === -1) return part;
  let out = '';
  for (let i = 0; i < part.length; i++) {
    if (part[i] !== '%') {
      out += part[i];
      continue;
    }
    const code = part.slice(i + 1, i + 3).toUpperCase();
    if (code === '25') out += '%';
    else if (code === '3A') out += ':';
    else return null;
    i += 2;
  }
  return out;
}

/**
 * The telemetry key of a Sparkplug metric name. Sparkplug names are free UTF-8 and use `/` as a folder
 * separator (§6.4.2 "Payload Metric Naming Convention": `Inputs/Temperature`, `Node Control/Rebirth`); Fieldline
 * keys may not contain `/`, `+`, `#` or control characters (limits.ts), so folders become `.`
 * (`Inputs.Temperature`) and the others `_`. The mapping is not injective (`a/b` and `a.b` meet); the session
 * keeps each metric's real name for commands, so only two such metrics of one device would share a series.
 */
export function sparkplugMetricKey(name: string): string {
  let i = 0;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f || c === 0x2b || c === 0x23 || c < 0x20 || (c >= 0x7f && c <= 0x9f)) break;
  }
  if (i === name.length) return name;
  let key = name.slice(0, i);
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f) key += '.';
    else if (c === 0x2b || c === 0x23 || c < 0x20 || (c >= 0x7f && c <= 0x9f)) key += '_';
    else key += name[i];
  }
  return key;
}
