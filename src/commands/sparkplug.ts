import {
  encodeSparkplugCommand,
  parseSparkplugDeviceId,
  type SparkplugCommandOutcome,
} from '../telemetry/codecs/index.js';
import type { MetricWrite } from './families.js';

/**
 * Encodes metric writes as the NCMD (edge node) or DCMD (device) for a Sparkplug device id
 * (`{group}:{edge_node}[:{device}]`). The Sparkplug module can supply one that reads each metric's datatype
 * from the birth certificate (SparkplugSessions.command).
 */
export type SparkplugCommander = (
  deviceId: string,
  organizationId: string,
  writes: readonly MetricWrite[],
  now: number,
) => SparkplugCommandOutcome;

/** Without birth information: datatypes inferred from the values (see encodeSparkplugCommand). */
export const defaultSparkplugCommander: SparkplugCommander = (deviceId, _organizationId, writes, now) => {
  const id = parseSparkplugDeviceId(deviceId);
  if (id === null)
    return {
      ok: false,
      reason: 'unsupported',
      detail: `'${deviceId}' is not a Sparkplug device id ({group}:{edge_node}[:{device}])`,
    };
  return encodeSparkplugCommand(
    id.group,
    id.edgeNode,
    id.device,
    writes.map((w) => ({ name: w.metric, value: w.value })),
    now,
  );
};
