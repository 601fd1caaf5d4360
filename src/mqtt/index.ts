export { TopicAcl } from './acl.js';
export { type BrokerOptions, type BrokerStats, EmbeddedBroker } from './broker.js';
export {
  type BridgeStats,
  bridgeFilters,
  ExternalBrokerBridge,
  type ExternalBrokerOptions,
  nodeClientId,
  redactUrl,
} from './external-bridge.js';
export {
  CONNACK_BAD_CREDENTIALS,
  CONNACK_NOT_AUTHORIZED,
  MqttCredentials,
  type MqttIdentity,
  MqttLoginError,
} from './identity.js';
export { type DeviceProtocol, MqttMessageRouter, type RouteOutcome, type RouterExtensions } from './router.js';
export { closeRevokedApiKeySessions, closeRevokedDeviceSessions, type MqttSessions } from './session-revocation.js';
export { type OrganizationPublisher, SparkplugIngest } from './sparkplug-handler.js';
export { REFUSED_TOPIC, type TopicMatch, TopicScheme } from './topics.js';
