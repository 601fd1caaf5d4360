import type { Reading, RefusalReason } from './types.js';

/** A metric as a birth certificate declared it, for the device registry and the command path. */
export interface SparkplugMetricInfo {
  name: string;
  key: string;
  datatype: string;
  alias?: number;
}

/** What one Sparkplug message means for Fieldline. */
export interface SparkplugResult {
  kind: 'birth' | 'data' | 'death' | 'ignored';
  /** '' when the topic is not a Sparkplug node or device topic. */
  group: string;
  edgeNode: string;
  device?: string;
  /** The Fieldline device the message is about (see sparkplugDeviceId). */
  deviceId?: string;
  /** When it happened: the payload timestamp when plausible, else `now` (§5.5: NDEATH always uses `now`). */
  ts: number;
  readings: Reading[];
  /** Fieldline device ids that came online / went offline with this message. */
  onlineDevices?: string[];
  offlineDevices?: string[];
  /** An NCMD to publish (QoS 0, not retained) asking the edge node for a fresh birth sequence. */
  rebirth?: { topic: string; payload: Buffer };
  /** The message's readings were refused (a birth is still recorded: its aliases are needed either way). */
  refusal?: { reason: RefusalReason; detail: string };
  /** Births: the metrics declared (protocol metrics such as bdSeq and Node Control/* left out). */
  metrics?: SparkplugMetricInfo[];
  /** Metrics that gave no reading and why (transient, Bytes, …). */
  skipped?: string[];
  /** Why the message was ignored or a rebirth requested, for logs and the device's last error. */
  note?: string;
}
