import type {
  SparkplugCommandMetric,
  SparkplugCommandOutcome,
  SparkplugPayload,
  SparkplugScalarType,
} from './sparkplug.js';
import { decodeSparkplugPayload, encodeRebirthRequest, encodeSparkplugCommand } from './sparkplug.js';
import type { MetricDefinition } from './sparkplug-metrics.js';
import { bdSeqOf, emitDataMetrics, MetricEmitter, MetricTable, registerBirthMetrics } from './sparkplug-metrics.js';
import type { SparkplugMetricInfo, SparkplugResult } from './sparkplug-result.js';
import type { SparkplugDeviceTopic, SparkplugNodeTopic, SparkplugTopic } from './sparkplug-topic.js';
import { parseSparkplugDeviceId, parseSparkplugTopic, sparkplugDeviceId } from './sparkplug-topic.js';
import { SparkplugDataType, sparkplugDataTypeName } from './sparkplug-values.js';
import { timestampProblem } from './timestamps.js';
import type { Payload } from './types.js';
import { refuse } from './types.js';
import { ReadingSink } from './validate.js';

export interface SparkplugSessionOptions {
  /**
   * Least time between two rebirth requests to one edge node (default 5 s), a new NBIRTH in between included. A
   * gap is usually followed by more out-of-step messages before the new NBIRTH arrives; one request is enough.
   * And an edge node that breaks the rules in every message (say, sends no seq) would otherwise be asked after
   * each one, and answer each time with its whole set of births.
   */
  rebirthIntervalMs?: number;
}

interface DeviceSession {
  deviceId: string;
  metrics: MetricTable;
}

/** One edge node's Sparkplug session: from its NBIRTH to the NDEATH carrying the same bdSeq. */
interface NodeSession {
  nodeId: string;
  bdSeq: number | undefined;
  /** The last seq seen, 0–255. */
  seq: number | undefined;
  /** §6.4.6 [tck-id-payloads-alias-uniqueness]: one alias space for the edge node and all its devices. */
  aliases: Map<number, MetricDefinition>;
  metrics: MetricTable;
  devices: Map<string, DeviceSession>;
  /** Fieldline ids of this node's devices currently online, so an NDEATH can take them all offline. */
  online: Set<string>;
}

/**
 * Sparkplug B 3.0 host-application session logic for every edge node Fieldline hears from, as pure state:
 * `handle(topic, payload, now)` answers what a message means (readings, presence changes, a rebirth request to
 * publish); it does no I/O and reads no clock.
 *
 * Sequence numbers (§6.4.5 [tck-id-payloads-sequence-num-incrementing], §6.4.19–22, §6.4.26): every message of
 * an edge node but NDEATH carries seq, one more than the previous, 255 wrapping to 0. §5.9 lets a host wait a
 * "Reorder Timeout" for late messages; Fieldline receives an edge node's messages in order over one
 * subscription, so its timeout is zero: a gap means loss and a Rebirth Request is sent at once
 * [tck-id-operational-behavior-host-reordering-rebirth]. The data that did arrive is kept. A message without
 * seq, or with one outside 0–255, breaks MUSTs of the spec ([tck-id-payloads-nbirth-seq], […-dbirth-seq],
 * […-ndata-seq], […-ddata-seq], […-ddeath-seq]) and cannot be placed in the sequence at all: its readings are
 * refused as `invalid_seq` (a birth is still recorded, its aliases are needed either way; a DDEATH still takes
 * its device offline) and a Rebirth Request is sent, as for a gap. This requires that all Sparkplug messages of
 * one edge node reach the same SparkplugSessions instance (no shared subscription splitting `spBv1.0/#` across
 * Fieldline nodes).
 */
export class SparkplugSessions {
  private readonly nodes = new Map<string, NodeSession>();
  private readonly lastRebirth = new Map<string, number>();
  private readonly topics = new Map<string, SparkplugTopic | null>();
  private readonly rebirthIntervalMs: number;

  constructor(options: SparkplugSessionOptions = {}) {
    this.rebirthIntervalMs = options.rebirthIntervalMs ?? 5_000;
  }

  /** Topics repeat on every message of a device: parse each once (bounded, flushed when full). */
  private parseTopic(topicName: string): SparkplugTopic | null {
    let topic = this.topics.get(topicName);
    if (topic === undefined) {
      topic = parseSparkplugTopic(topicName);
      if (this.topics.size >= TOPIC_CACHE_SIZE) this.topics.clear();
      this.topics.set(topicName, topic);
    }
    return topic;
  }

  /** Edge nodes with a live session. */
  get nodeCount(): number {
    return this.nodes.size;
  }

  handle(topicName: string, payload: Payload, now: number): SparkplugResult {
    const topic = this.parseTopic(topicName);
    if (topic === null)
      return { kind: 'ignored', group: '', edgeNode: '', ts: now, readings: [], note: 'not a Sparkplug B topic' };
    if (topic.type === 'STATE') {
      return {
        kind: 'ignored',
        group: '',
        edgeNode: '',
        ts: now,
        readings: [],
        note: 'STATE is a host application message',
      };
    }
    if (topic.type === 'NCMD' || topic.type === 'DCMD') {
      return this.ignored(topic, now, 'commands go to edge nodes, they carry no telemetry');
    }
    const decoded = decodeSparkplugPayload(payload);
    if (!decoded.ok) {
      const result = this.ignored(topic, now, decoded.detail);
      result.refusal = { reason: decoded.reason, detail: decoded.detail };
      return result;
    }
    const p = decoded.payload;
    if (topic.device === undefined) {
      if (topic.type === 'NBIRTH') return this.nodeBirth(topic, p, now);
      if (topic.type === 'NDEATH') return this.nodeDeath(topic, p, now);
      return this.data(topic, p, now);
    }
    if (topic.type === 'DBIRTH') return this.deviceBirth(topic, p, now);
    if (topic.type === 'DDEATH') return this.deviceDeath(topic, p, now);
    return this.data(topic, p, now);
  }

  /**
   * A command to the edge node or device behind a Fieldline device id. `metric` is a Sparkplug metric name or
   * its Fieldline key; name and datatype come from the current birth certificate when known, otherwise the
   * metric is sent under the name given with a datatype inferred from the value.
   */
  command(
    deviceId: string,
    writes: readonly { metric: string; value: number | boolean | string }[],
    now: number,
  ): SparkplugCommandOutcome {
    const identity = parseSparkplugDeviceId(deviceId);
    if (identity === null) return refuse('unsupported', `${deviceId} is not a Sparkplug device id`);
    const session = this.nodes.get(nodeKey(identity.group, identity.edgeNode));
    const table = identity.device === undefined ? session?.metrics : session?.devices.get(identity.device)?.metrics;
    const metrics: SparkplugCommandMetric[] = [];
    for (const write of writes) {
      const def = table?.byName.get(write.metric) ?? table?.byKey.get(write.metric);
      if (def === undefined) {
        metrics.push({ name: write.metric, value: write.value });
        continue;
      }
      const type = sparkplugDataTypeName(def.datatype);
      if (!isScalarType(def.datatype))
        return refuse('unsupported', `metric ${JSON.stringify(def.name)} is a ${type}, which commands cannot write`);
      metrics.push({ name: def.name, value: write.value, type: type as SparkplugScalarType });
    }
    return encodeSparkplugCommand(identity.group, identity.edgeNode, identity.device, metrics, now);
  }

  /** Forgets an edge node (e.g. when its Fieldline device is deleted); its next message asks for a rebirth. */
  forget(group: string, edgeNode: string): void {
    this.nodes.delete(nodeKey(group, edgeNode));
    this.lastRebirth.delete(nodeKey(group, edgeNode));
  }

  /**
   * NBIRTH starts a new session (§6.4.19): seq restarts from the birth's, aliases and metrics are replaced.
   * The same bdSeq means a rebirth inside the same MQTT session (§5.17 [tck-id-operational-behavior-data-commands-rebirth-action-3]):
   * devices stay online and rebirth with their DBIRTHs. A new bdSeq means a new MQTT session whose NDEATH we
   * never got: the old session's devices are offline until they send DBIRTH again.
   */
  private nodeBirth(topic: NodeTopic, p: SparkplugPayload, now: number): SparkplugResult {
    const key = nodeKey(topic.group, topic.edgeNode);
    const previous = this.nodes.get(key);
    const nodeId = sparkplugDeviceId(topic);
    const bdSeq = bdSeqOf(p.metrics);
    const session: NodeSession = {
      nodeId,
      bdSeq,
      seq: p.seq === undefined || Number.isNaN(p.seq) ? undefined : p.seq,
      aliases: new Map(),
      metrics: new MetricTable(),
      devices: new Map(),
      online: previous !== undefined && previous.bdSeq === bdSeq ? previous.online : new Set(),
    };
    const offline = previous !== undefined && previous.bdSeq !== bdSeq ? [...previous.online] : [];
    this.nodes.set(key, session);
    const result = this.birthResult(topic, nodeId, p, now, session.metrics, undefined, session);
    result.onlineDevices = [nodeId];
    if (offline.length > 0) result.offlineDevices = offline;
    const invalid = invalidSeq(p.seq);
    return invalid === undefined ? result : this.refusedForSeq(result, topic, now, invalid);
  }

  /** DBIRTH (§6.4.20): the device's metrics and aliases, replacing any it declared before in this session. */
  private deviceBirth(topic: DeviceTopic, p: SparkplugPayload, now: number): SparkplugResult {
    const session = this.nodes.get(nodeKey(topic.group, topic.edgeNode));
    if (session === undefined) return this.outOfSession(topic, now, 'DBIRTH before the NBIRTH of its edge node');
    const seq = checkSeq(session, p.seq);
    const deviceId = sparkplugDeviceId(topic);
    dropDevice(session, topic.device);
    const device: DeviceSession = { deviceId, metrics: new MetricTable() };
    session.devices.set(topic.device, device);
    session.online.add(deviceId);
    const result = this.birthResult(topic, deviceId, p, now, device.metrics, topic.device, session);
    result.onlineDevices = [deviceId];
    if (seq?.invalid) return this.refusedForSeq(result, topic, now, seq.why);
    return seq === undefined ? result : this.withRebirth(result, topic, now, seq.why);
  }

  private birthResult(
    topic: NodeTopic | DeviceTopic,
    deviceId: string,
    p: SparkplugPayload,
    now: number,
    table: MetricTable,
    owner: string | undefined,
    session: NodeSession,
  ): SparkplugResult {
    const sink = new ReadingSink(now, 'skip');
    const emitter = new MetricEmitter(sink, p.timestamp);
    registerBirthMetrics(p.metrics, owner, table, session.aliases, emitter);
    const result = this.readingsResult('birth', topic, deviceId, p, now, sink, emitter);
    result.metrics = [];
    for (const def of table.byName.values()) {
      if (def.control) continue;
      const info: SparkplugMetricInfo = { name: def.name, key: def.key, datatype: sparkplugDataTypeName(def.datatype) };
      if (def.alias !== undefined) info.alias = def.alias;
      result.metrics.push(info);
    }
    return result;
  }

  /** NDATA/DDATA (§6.4.21, §6.4.22): aliases and names resolved against the births of this session. */
  private data(topic: NodeTopic | DeviceTopic, p: SparkplugPayload, now: number): SparkplugResult {
    const session = this.nodes.get(nodeKey(topic.group, topic.edgeNode));
    if (session === undefined) return this.outOfSession(topic, now, `${topic.type} before NBIRTH`);
    const seq = checkSeq(session, p.seq);
    let table = session.metrics;
    let deviceId = session.nodeId;
    if (topic.device !== undefined) {
      const device = session.devices.get(topic.device);
      if (device === undefined) return this.outOfSession(topic, now, 'DDATA before the DBIRTH of its device');
      table = device.metrics;
      deviceId = device.deviceId;
    }
    const sink = new ReadingSink(now, 'skip');
    const emitter = new MetricEmitter(sink, p.timestamp);
    const unknown = emitDataMetrics(p.metrics, topic.device, table, session.aliases, emitter);
    const result = this.readingsResult('data', topic, deviceId, p, now, sink, emitter);
    if (seq?.invalid) return this.refusedForSeq(result, topic, now, seq.why);
    if (unknown.length > 0) {
      return this.withRebirth(
        result,
        topic,
        now,
        `metrics not in the birth certificate: ${unknown.slice(0, 5).join(', ')}`,
      );
    }
    return seq === undefined ? result : this.withRebirth(result, topic, now, seq.why);
  }

  /**
   * NDEATH (§6.4.25, §5.5): the edge node and all its devices go offline — but only when its bdSeq matches the
   * current NBIRTH's [tck-id-payloads-ndeath-bdseq]. A Will message can arrive after the node has reconnected
   * and sent a new NBIRTH; such a stale death is ignored.
   */
  private nodeDeath(topic: NodeTopic, p: SparkplugPayload, now: number): SparkplugResult {
    const key = nodeKey(topic.group, topic.edgeNode);
    const session = this.nodes.get(key);
    const bdSeq = bdSeqOf(p.metrics);
    if (session === undefined) return this.ignored(topic, now, 'NDEATH for an edge node without a session');
    if (session.bdSeq !== bdSeq) {
      return this.ignored(
        topic,
        now,
        `stale NDEATH: bdSeq ${bdSeq} does not match the current session's ${session.bdSeq}`,
      );
    }
    this.nodes.delete(key);
    return {
      kind: 'death',
      group: topic.group,
      edgeNode: topic.edgeNode,
      deviceId: session.nodeId,
      ts: now, // [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline]: host time
      readings: [],
      offlineDevices: [session.nodeId, ...session.online],
    };
  }

  /**
   * DDEATH (§6.4.26, §5.7): one device offline, at the DDEATH's timestamp. It is honoured even without a known
   * session (e.g. after a Fieldline restart): the edge node itself publishes it, in order, so it is never stale.
   */
  private deviceDeath(topic: DeviceTopic, p: SparkplugPayload, now: number): SparkplugResult {
    const deviceId = sparkplugDeviceId(topic);
    const result: SparkplugResult = {
      kind: 'death',
      group: topic.group,
      edgeNode: topic.edgeNode,
      device: topic.device,
      deviceId,
      ts: plausibleTime(p.timestamp, now),
      readings: [],
      offlineDevices: [deviceId],
    };
    const session = this.nodes.get(nodeKey(topic.group, topic.edgeNode));
    if (session === undefined)
      return this.withRebirth(result, topic, now, 'DDEATH from an edge node without a session');
    // Without a valid seq too: the edge node itself says the device is gone, and a rebirth would not bring it back.
    const seq = checkSeq(session, p.seq);
    dropDevice(session, topic.device);
    session.online.delete(deviceId);
    return seq === undefined ? result : this.withRebirth(result, topic, now, seq.why);
  }

  private readingsResult(
    kind: 'birth' | 'data',
    topic: NodeTopic | DeviceTopic,
    deviceId: string,
    p: SparkplugPayload,
    now: number,
    sink: ReadingSink,
    emitter: MetricEmitter,
  ): SparkplugResult {
    const result: SparkplugResult = {
      kind,
      group: topic.group,
      edgeNode: topic.edgeNode,
      deviceId,
      ts: plausibleTime(p.timestamp, now),
      readings: [],
    };
    if (topic.device !== undefined) result.device = topic.device;
    const outcome = sink.outcome();
    if (outcome.ok) result.readings = outcome.readings;
    else if (outcome.reason !== 'empty') result.refusal = { reason: outcome.reason, detail: outcome.detail };
    if (emitter.skipped.length > 0) result.skipped = emitter.skipped;
    return result;
  }

  /** Data or a birth from an edge node we have no session for: nothing can be resolved; ask for a rebirth. */
  private outOfSession(topic: NodeTopic | DeviceTopic, now: number, why: string): SparkplugResult {
    return this.withRebirth(this.ignored(topic, now, why), topic, now, why);
  }

  private ignored(topic: NodeTopic | DeviceTopic, now: number, note: string): SparkplugResult {
    const result: SparkplugResult = {
      kind: 'ignored',
      group: topic.group,
      edgeNode: topic.edgeNode,
      ts: now,
      readings: [],
      note,
    };
    if (topic.device !== undefined) result.device = topic.device;
    return result;
  }

  /**
   * A message without a valid seq: its readings are not stored (the rest of what it means stands), it is
   * counted as `invalid_seq`, and a rebirth is requested to restart the sequence.
   */
  private refusedForSeq(
    result: SparkplugResult,
    topic: NodeTopic | DeviceTopic,
    now: number,
    why: string,
  ): SparkplugResult {
    result.readings = [];
    result.refusal = { reason: 'invalid_seq', detail: `${topic.type} with ${why}` };
    return this.withRebirth(result, topic, now, why);
  }

  /** Attaches a Rebirth Request, at most one per edge node per rebirthIntervalMs. */
  private withRebirth(
    result: SparkplugResult,
    topic: NodeTopic | DeviceTopic,
    now: number,
    why: string,
  ): SparkplugResult {
    result.note = result.note === undefined || result.note === why ? why : `${result.note}; ${why}`;
    const rebirth = this.rebirthRequest(topic.group, topic.edgeNode, now);
    if (rebirth !== undefined) result.rebirth = rebirth;
    return result;
  }

  /**
   * A Rebirth Request for this edge node, unless one went out less than rebirthIntervalMs ago. Also for the
   * transport side, when a message the session accepted cannot be used — data for a device that is not
   * registered (its birth's registration failed, or the device was deleted): only a new birth repairs that.
   */
  rebirthRequest(group: string, edgeNode: string, now: number): { topic: string; payload: Buffer } | undefined {
    const key = nodeKey(group, edgeNode);
    const last = this.lastRebirth.get(key);
    if (last !== undefined && now - last < this.rebirthIntervalMs && now >= last) return undefined;
    this.lastRebirth.set(key, now);
    return encodeRebirthRequest(group, edgeNode, now);
  }
}

const TOPIC_CACHE_SIZE = 10_000;

type NodeTopic = SparkplugNodeTopic;
type DeviceTopic = SparkplugDeviceTopic;

/** Group and edge node ids cannot contain `/` (§4.1.2, §4.1.4), so this key is unambiguous. */
function nodeKey(group: string, edgeNode: string): string {
  return `${group}/${edgeNode}`;
}

/**
 * Records `seq` and answers how it breaks the sequence, or undefined: `invalid` when it is missing or out of
 * range (the sequence stays where it was), else a gap.
 */
function checkSeq(session: NodeSession, seq: number | undefined): { invalid: boolean; why: string } | undefined {
  const invalid = invalidSeq(seq);
  if (invalid !== undefined) return { invalid: true, why: invalid };
  const expected = session.seq === undefined ? undefined : (session.seq + 1) & 0xff;
  session.seq = seq;
  return expected === undefined || seq === expected
    ? undefined
    : { invalid: false, why: `seq ${seq} where ${expected} was expected` };
}

/** Why a decoded seq is not a usable one (see decodeSparkplugPayload), or undefined. */
function invalidSeq(seq: number | undefined): string | undefined {
  if (seq === undefined) return 'no seq';
  return Number.isNaN(seq) ? 'seq outside 0–255' : undefined;
}

function dropDevice(session: NodeSession, device: string): void {
  if (!session.devices.delete(device)) return;
  for (const [alias, def] of session.aliases) {
    if (def.owner === device) session.aliases.delete(alias);
  }
}

function isScalarType(datatype: number): boolean {
  return datatype >= SparkplugDataType.Int8 && datatype <= SparkplugDataType.UUID;
}

/** An event time from a payload: used when it passes the same bounds as telemetry, else the server clock. */
function plausibleTime(ts: number | undefined, now: number): number {
  return ts !== undefined && timestampProblem(ts, now) === undefined ? ts : now;
}
