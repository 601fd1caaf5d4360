import type { RawMetric } from './sparkplug.js';
import { BDSEQ_METRIC, hasField } from './sparkplug.js';
import { sparkplugMetricKey } from './sparkplug-topic.js';
import {
  int64ToNumber,
  MetricValueIssue,
  SparkplugDataType,
  sparkplugValue,
  uint64ToNumber,
} from './sparkplug-values.js';
import type { ReadingSink } from './validate.js';
import { keyProblem } from './validate.js';

/**
 * What a birth certificate declared about one metric. Sparkplug B 3.0 §6.4.19/§6.4.20: births carry every
 * metric's name, datatype and (optionally) alias [tck-id-payloads-alias-birth-requirement]
 * [tck-id-payloads-metric-datatype-req]; DATA messages then refer to them by alias and without datatype
 * [tck-id-payloads-alias-data-cmd-requirement] [tck-id-payloads-metric-datatype-not-req].
 */
export interface MetricDefinition {
  name: string;
  key: string;
  datatype: number;
  alias: number | undefined;
  /** The device that declared it, undefined for the edge node itself. Aliases are unique per edge node. */
  owner: string | undefined;
  /** bdSeq and `Node Control/*`: session plumbing, addressable by commands but not stored as telemetry. */
  control: boolean;
  /** Why `key` cannot be a telemetry key, checked once at birth rather than on every DATA message. */
  keyIssue: string | undefined;
}

export function metricDefinition(
  name: string,
  datatype: number,
  alias: number | undefined,
  owner: string | undefined,
  control: boolean,
): MetricDefinition {
  const key = sparkplugMetricKey(name);
  return { name, key, datatype, alias, owner, control, keyIssue: keyProblem(key) };
}

/** The metrics of one edge node or device in the current session, by Sparkplug name and by Fieldline key. */
export class MetricTable {
  readonly byName = new Map<string, MetricDefinition>();
  readonly byKey = new Map<string, MetricDefinition>();

  add(def: MetricDefinition): void {
    this.byName.set(def.name, def);
    this.byKey.set(def.key, def);
  }
}

/** Nested templates deeper than this are refused rather than followed: a bound for hostile payloads. */
const MAX_TEMPLATE_DEPTH = 8;

/** Per-message context: where readings go, the payload's time, and what was skipped (for diagnostics). */
export class MetricEmitter {
  readonly skipped: string[] = [];
  private payloadTs: number | undefined;

  constructor(
    readonly sink: ReadingSink,
    private readonly rawPayloadTs: number | undefined,
  ) {}

  /**
   * A metric's time: its own timestamp, else the payload's, else the server clock (§6.4.6: metric timestamps
   * are UTC epoch ms [tck-id-payloads_metric_timestamp_in_UTC]). Answers -1 once the message is refused.
   */
  timeOf(metric: RawMetric, fallback: number | undefined): number {
    if (hasField(metric, 'timestamp')) {
      return this.sink.timestamp(uint64ToNumber(metric.timestamp ?? 0), `metric ${label(metric)} timestamp`, false);
    }
    if (fallback !== undefined) return fallback;
    if (this.payloadTs === undefined) {
      this.payloadTs =
        this.rawPayloadTs === undefined
          ? this.sink.now
          : this.sink.timestamp(this.rawPayloadTs, 'payload timestamp', false);
    }
    return this.payloadTs;
  }

  /** Turns one metric into a reading under its definition's key; answers false once the message is refused. */
  emit(metric: RawMetric, def: MetricDefinition, datatype: number, fallbackTs: number | undefined): boolean {
    const name = def.name;
    // §6.4.6: is_transient metrics "should not be historized"; Fieldline is a historian.
    if (metric.isTransient === true) {
      this.skipped.push(`${name}: transient`);
      return true;
    }
    // is_null: the metric exists but has no current value [tck-id-operational-behavior-data-publish-nbirth-values].
    if (metric.isNull === true) return true;
    const value = sparkplugValue(metric, datatype);
    if (value instanceof MetricValueIssue) {
      if (value.kind === 'invalid')
        return this.sink.refuse('invalid_value', `metric ${JSON.stringify(name)}: ${value.detail}`);
      if (value.kind === 'skip') this.skipped.push(`${name}: ${value.detail}`);
      return true;
    }
    if (def.keyIssue !== undefined)
      return this.sink.refuse('invalid_key', `metric ${JSON.stringify(name)}: ${def.keyIssue}`);
    const ts = this.timeOf(metric, fallbackTs);
    const floatingPoint = datatype === SparkplugDataType.Float || datatype === SparkplugDataType.Double;
    return ts >= 0 && this.sink.add(ts, def.key, value, floatingPoint, true);
  }
}

/**
 * Records the metrics of a birth certificate into `table` (and their aliases into the edge node's alias map)
 * and emits their current values. Template definitions (§6.4.14, `is_definition`) are schema, not data, and are
 * left out; template instances are flattened into one metric per member, named `{instance}/{member}`.
 * Every metric is recorded even once the readings are refused: without its aliases each following DATA message
 * would be unresolvable and call for yet another rebirth.
 */
export function registerBirthMetrics(
  metrics: readonly RawMetric[],
  owner: string | undefined,
  table: MetricTable,
  aliases: Map<number, MetricDefinition>,
  emitter: MetricEmitter,
): void {
  for (const metric of metrics) {
    if (!hasField(metric, 'name') || metric.name === '') {
      emitter.skipped.push(`metric without a name (alias ${aliasOf(metric) ?? 'none'})`);
      continue;
    }
    const name = metric.name as string;
    const datatype = metric.datatype ?? 0;
    if (datatype === SparkplugDataType.Template && metric.templateValue?.isDefinition === true) continue;
    const control = name === BDSEQ_METRIC || name.startsWith('Node Control/');
    const def = metricDefinition(name, datatype, aliasOf(metric), owner, control);
    table.add(def);
    // §6.4.6 [tck-id-payloads-alias-uniqueness]: aliases are unique across the edge node and its devices.
    if (def.alias !== undefined) aliases.set(def.alias, def);
    if (def.control) continue;
    if (datatype === SparkplugDataType.Template) registerTemplate(metric, name, owner, table, emitter, undefined, 1);
    else if (!emitter.sink.failed) emitter.emit(metric, def, datatype, undefined);
  }
}

function registerTemplate(
  metric: RawMetric,
  instanceName: string,
  owner: string | undefined,
  table: MetricTable,
  emitter: MetricEmitter,
  fallbackTs: number | undefined,
  depth: number,
): void {
  if (depth > MAX_TEMPLATE_DEPTH) {
    emitter.sink.refuse('invalid_value', `template ${JSON.stringify(instanceName)} is nested too deep`);
    return;
  }
  const ts = emitter.sink.failed ? -1 : emitter.timeOf(metric, fallbackTs);
  for (const member of metric.templateValue?.metrics ?? []) {
    if (!hasField(member, 'name') || member.name === '') continue;
    const name = `${instanceName}/${member.name}`;
    const datatype = member.datatype ?? 0;
    const def = metricDefinition(name, datatype, undefined, owner, false);
    table.add(def);
    if (datatype === SparkplugDataType.Template) registerTemplate(member, name, owner, table, emitter, ts, depth + 1);
    else if (!emitter.sink.failed) emitter.emit(member, def, datatype, ts);
  }
}

/**
 * Emits the metrics of a DATA message, resolving aliases and names against the birth certificate. Answers the
 * metrics it could not resolve — data the birth never announced means the session is out of step.
 */
export function emitDataMetrics(
  metrics: readonly RawMetric[],
  owner: string | undefined,
  table: MetricTable,
  aliases: Map<number, MetricDefinition>,
  emitter: MetricEmitter,
): string[] {
  const unknown: string[] = [];
  for (const metric of metrics) {
    const alias = aliasOf(metric);
    let def: MetricDefinition | undefined;
    if (alias !== undefined) {
      def = aliases.get(alias);
      if (def !== undefined && def.owner !== owner) def = undefined; // another device's alias
    }
    if (def === undefined && hasField(metric, 'name')) def = table.byName.get(metric.name as string);
    if (def === undefined) {
      unknown.push(label(metric));
      continue;
    }
    if (def.control) continue;
    // The datatype travels in the birth; a DATA message that still carries one describes its own encoding.
    const datatype = hasField(metric, 'datatype') && metric.datatype !== 0 ? (metric.datatype as number) : def.datatype;
    const ok =
      datatype === SparkplugDataType.Template
        ? emitTemplateData(metric, def.name, table, emitter, undefined, unknown, 1)
        : emitter.emit(metric, def, datatype, undefined);
    if (!ok) break;
  }
  return unknown;
}

function emitTemplateData(
  metric: RawMetric,
  instanceName: string,
  table: MetricTable,
  emitter: MetricEmitter,
  fallbackTs: number | undefined,
  unknown: string[],
  depth: number,
): boolean {
  if (depth > MAX_TEMPLATE_DEPTH)
    return emitter.sink.refuse('invalid_value', `template ${JSON.stringify(instanceName)} is nested too deep`);
  const ts = emitter.timeOf(metric, fallbackTs);
  if (ts < 0) return false;
  // §6.4.14 [tck-id-payloads-template-instance-members-data]: a DATA instance may carry a subset of members.
  for (const member of metric.templateValue?.metrics ?? []) {
    const name = `${instanceName}/${member.name ?? ''}`;
    const def = table.byName.get(name);
    if (def === undefined) {
      unknown.push(name);
      continue;
    }
    const datatype = hasField(member, 'datatype') && member.datatype !== 0 ? (member.datatype as number) : def.datatype;
    const ok =
      datatype === SparkplugDataType.Template
        ? emitTemplateData(member, name, table, emitter, ts, unknown, depth + 1)
        : emitter.emit(member, def, datatype, ts);
    if (!ok) return false;
  }
  return true;
}

/** The bdSeq metric of an NBIRTH or NDEATH (§6.4.19, §6.4.25; Int64 in 3.0, UInt64 in older encoders). */
export function bdSeqOf(metrics: readonly RawMetric[]): number | undefined {
  for (const metric of metrics) {
    if (metric.name !== BDSEQ_METRIC || !Object.hasOwn(metric, 'name')) continue;
    if (hasField(metric, 'longValue')) {
      const n = int64ToNumber(metric.longValue ?? 0);
      return Number.isNaN(n) ? undefined : n;
    }
    if (hasField(metric, 'intValue')) return metric.intValue as number;
    return undefined;
  }
  return undefined;
}

function aliasOf(metric: RawMetric): number | undefined {
  if (!hasField(metric, 'alias')) return undefined;
  const alias = uint64ToNumber(metric.alias ?? 0);
  return Number.isNaN(alias) ? undefined : alias;
}

function label(metric: RawMetric): string {
  if (hasField(metric, 'name')) return JSON.stringify(metric.name);
  const alias = aliasOf(metric);
  return alias === undefined ? 'a metric without name or alias' : `alias ${alias}`;
}
