import { parseSparkplugDeviceId, parseSparkplugTopic, SPARKPLUG_NAMESPACE } from '../telemetry/codecs/index.js';

/**
 * What a device token may do over Sparkplug B. A device is at most one edge node: the one whose Fieldline id
 * it has (`{group}:{edge}`, see sparkplugDeviceId). As that edge node it publishes its own NBIRTH/NDATA/NDEATH
 * and the DBIRTH/DDATA/DDEATH of its devices, and listens to the NCMD/DCMD addressed to it. Anything else
 * would let one leaked device token write to, register, or command every Sparkplug device of its organization;
 * speaking for any edge node is what an organization API key (operator and up) is for.
 */

const EDGE_NODE_MESSAGES: ReadonlySet<string> = new Set(['NBIRTH', 'NDATA', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH']);

/**
 * May the device with this id publish on this Sparkplug topic? NCMD/DCMD and STATE are the host application's
 * messages (Sparkplug B 3.0 §6.4.23, §6.4.24, §5.13), never an edge node's.
 */
export function edgeNodeMayPublish(deviceId: string, topic: string): boolean {
  const edge = edgeNodeOf(deviceId);
  if (edge === null) return false;
  const parsed = parseSparkplugTopic(topic);
  if (parsed === null || parsed.type === 'STATE') return false;
  return EDGE_NODE_MESSAGES.has(parsed.type) && parsed.group === edge.group && parsed.edgeNode === edge.edgeNode;
}

/**
 * May the device with this id subscribe to this Sparkplug filter? Only filters whose every match is a command
 * to its own edge node or one of its devices: `…/NCMD/{edge}`, `…/NCMD/{edge}/#`, `…/DCMD/{edge}/#`, `…/+` or
 * `…/{device}` (Eclipse Tahu subscribes to the two `/#` forms). Group, type and edge node must be literal.
 */
export function edgeNodeMaySubscribe(deviceId: string, filter: string): boolean {
  const edge = edgeNodeOf(deviceId);
  if (edge === null) return false;
  const [namespace, group, type, edgeNode, ...rest] = filter.split('/');
  if (namespace !== SPARKPLUG_NAMESPACE || group !== edge.group || edgeNode !== edge.edgeNode) return false;
  const [device, ...deeper] = rest;
  if (deeper.length > 0) return false;
  if (type === 'NCMD') return device === undefined || device === '#';
  if (type === 'DCMD') return device === '#' || device === '+' || (device !== undefined && isLiteralLevel(device));
  return false;
}

/** The edge node a device is, or null: native ids without `:` and Sparkplug devices (`{group}:{edge}:{device}`). */
function edgeNodeOf(deviceId: string): { group: string; edgeNode: string } | null {
  const id = parseSparkplugDeviceId(deviceId);
  return id === null || id.device !== undefined ? null : { group: id.group, edgeNode: id.edgeNode };
}

function isLiteralLevel(level: string): boolean {
  return level.length > 0 && !level.includes('+') && !level.includes('#');
}
