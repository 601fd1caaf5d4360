import { conflict } from '../kernel/index.js';
// The file alone: ids and topics only, no protobuf.
import { parseSparkplugDeviceId, sparkplugDeviceId } from '../telemetry/codecs/sparkplug-topic.js';
import type { DeviceRef } from './device-ref.js';

/**
 * A device id shaped as a Sparkplug device (`{group}:{edge}:{device}`) belongs under its edge node: created
 * through the API by another organization than the edge node's, it would take that id from the edge node's
 * own device, whose births and data would then be refused (ids are unique across the platform). Throws 409.
 */
export async function refuseForeignEdgeNodeDevice(
  byDeviceId: (id: string) => Promise<DeviceRef | null>,
  organizationId: string,
  id: string,
): Promise<void> {
  const sp = parseSparkplugDeviceId(id);
  if (sp?.device === undefined) return;
  const edgeId = sparkplugDeviceId({ group: sp.group, edgeNode: sp.edgeNode });
  const edge = await byDeviceId(edgeId);
  if (edge && edge.organizationId !== organizationId)
    throw conflict(`'${id}' names a device of Sparkplug edge node '${edgeId}', which belongs to another organization`);
}
