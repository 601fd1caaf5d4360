/**
 * Telemetry codecs: device payloads → validated readings, kept apart from transport. The ingest pipeline picks
 * the codec from the topic family (or HTTP route) and stores `readings` or records the refusal.
 */
export { TELEMETRY_LIMITS } from './limits.js';
export { decodeNativeDocument, decodeNativeStatus, decodeNativeTelemetry } from './native.js';
export {
  encodeRebirthRequest,
  encodeSparkplugCommand,
  REBIRTH_METRIC,
  type SparkplugCommandMetric,
  type SparkplugCommandOutcome,
  type SparkplugScalarType,
} from './sparkplug.js';
export type { SparkplugMetricInfo, SparkplugResult } from './sparkplug-result.js';
export { type SparkplugSessionOptions, SparkplugSessions } from './sparkplug-session.js';
export {
  parseSparkplugDeviceId,
  parseSparkplugTopic,
  SPARKPLUG_NAMESPACE,
  type SparkplugDeviceTopic,
  type SparkplugIdentity,
  type SparkplugMessageType,
  type SparkplugNodeTopic,
  type SparkplugStateTopic,
  type SparkplugTopic,
  sparkplugDeviceId,
  sparkplugMetricKey,
  sparkplugTopic,
} from './sparkplug-topic.js';
export {
  decodeThingsBoardAttributes,
  decodeThingsBoardDocument,
  decodeThingsBoardRpcResponse,
  decodeThingsBoardTelemetry,
  encodeThingsBoardRpcRequest,
  parseThingsBoardRpcResponseTopic,
  type RpcResponseOutcome,
  THINGSBOARD_TOPICS,
  type ThingsBoardOptions,
} from './thingsboard.js';
export {
  ATTRIBUTES_REQUEST_PREFIX,
  ATTRIBUTES_RESPONSE_PREFIX,
  type AttributesRequest,
  attributesAnswer,
  decodeAttributesRequest,
} from './thingsboard-attributes-request.js';
export type {
  AttributesOutcome,
  DecodeOutcome,
  DeviceStatus,
  JsonObjectOrArray,
  JsonValue,
  Payload,
  Reading,
  Refusal,
  RefusalReason,
  StatusOutcome,
  TelemetryValue,
} from './types.js';
export { keyProblem, type NullPolicy } from './validate.js';
