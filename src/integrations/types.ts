/**
 * The shapes of integrations: what an organization configures (in the field names its users already know from
 * the MQTT configuration and device-integration systems they come from), and what the platform reports back.
 * Times are epoch milliseconds inside the process and ISO 8601 at the HTTP edge.
 */

export const INTEGRATION_TYPES = ['mqtt', 'webhook', 'golioth'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** active and inactive are the user's choice; error means active but failing, set and cleared by the platform. */
export const INTEGRATION_STATUSES = ['active', 'inactive', 'error'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

/** MQTT protocol levels as mqtt.js and Paho number them: 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type MqttProtocolVersion = 3 | 4 | 5;
export type Qos = 0 | 1 | 2;

export interface MqttBrokerConfig {
  /** mqtt://, mqtts://, ws:// or wss:// — stands for scheme (TLS), host and port (and the WebSocket path). */
  url?: string;
  host?: string;
  port?: number;
  use_tls?: boolean;
  /** Verify the broker's certificate (default true). */
  verify_cert?: boolean;
  username?: string;
  /** Secret. */
  password?: string;
  client_id?: string;
  /** Seconds (default 60). */
  keep_alive?: number;
  /** Default true. false keeps a persistent session: the broker queues QoS 1/2 messages while away. */
  clean_session?: boolean;
  protocol_version?: MqttProtocolVersion;
  /** PEM of the CA that signed the broker's certificate (a private CA). */
  ca_cert?: string;
  /** PEM client certificate for mutual TLS (AWS IoT Core, Azure IoT Hub with X.509). */
  client_cert?: string;
  /** Secret: PEM private key of the client certificate. */
  client_key?: string;
  /** Secret: passphrase of an encrypted client key. */
  client_key_passphrase?: string;
  /** Server name for TLS SNI and certificate checks, when it differs from host. */
  servername?: string;
  /** MQTT 5 session expiry (seconds) when clean_session is false; default 3600. */
  session_expiry_s?: number;
  /**
   * MQTT 5 Receive Maximum: QoS 1/2 messages the broker may have unacknowledged with this client (default 65535,
   * MQTT 5 §3.1.2.11.3). Messages are acknowledged after they are stored, so this is the window that lets a
   * burst wait here instead of overflowing the broker's queue for this client; MQTT 3.1.1 has only the broker's
   * own limit (Mosquitto: max_inflight_messages 20, then max_queued_messages 1000, then it drops messages).
   */
  receive_maximum?: number;
  /** MQTT 5 Maximum Packet Size this client accepts (bytes, default 1 MiB): bounds the memory of held messages. */
  maximum_packet_size?: number;
  /** How long one connection attempt may take (ms, default 10000). */
  connect_timeout_ms?: number;
  /** First reconnect delay (ms, default 1000); doubles per failed attempt up to reconnect_max_ms. */
  reconnect_min_ms?: number;
  /** Longest reconnect delay (ms, default 30000). */
  reconnect_max_ms?: number;
}

export interface MqttTopicsConfig {
  /** Prepended to every subscription topic (and to the pattern): `/v3/applications`. */
  prefix?: string;
  /** The default topic of a subscription that names none: `{application_id}/business-events`. */
  pattern?: string;
  /** Subscribe as `$share/{shared_group}/{filter}` so several clients split the messages. */
  use_shared?: boolean;
  shared_group?: string;
  /** Default QoS of subscriptions (default 1). */
  qos?: Qos;
}

export interface MqttIntegrationConfig {
  broker: MqttBrokerConfig;
  topics?: MqttTopicsConfig;
}

export type WebhookAuthConfig = { type: 'bearer'; token: string } | { type: 'api_key'; header?: string; key: string };

export interface WebhookIntegrationConfig {
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  /** Secret values (names stay visible). */
  headers?: Record<string, string>;
  auth?: WebhookAuthConfig;
  payload_template?: unknown;
}

export interface GoliothIntegrationConfig {
  project_id: string;
  /** Secret: a Golioth project API key (x-api-key), for the REST API (state, RPC, OTA). */
  api_key?: string;
  /** Default https://api.golioth.io */
  api_url?: string;
  /** Secret: what Golioth's webhook must send (header x-fieldline-secret, or Authorization: Bearer …). */
  webhook_secret?: string;
  /** Fieldline device id = prefix + Golioth device id (default `golioth-`). */
  device_id_prefix?: string;
  /** device_type of devices created on first sight (default `golioth`). */
  device_type?: string;
  /** Create a Fieldline device the first time a Golioth device sends data (default true). */
  create_devices?: boolean;
  /** Prefix telemetry keys with the LightDB Stream path (`/sensor` + `temp` → `sensor.temp`; default true). */
  path_prefix_keys?: boolean;
  /** RPC timeout in seconds for commands sent through Golioth (default 10). */
  rpc_timeout_s?: number;
}

export type IntegrationConfig = MqttIntegrationConfig | WebhookIntegrationConfig | GoliothIntegrationConfig;

/** What a subscription does with a message. */
export type SubscriptionAction = IngestAction | ForwardAction | RepublishAction;

export interface IngestAction {
  type: 'ingest';
  /**
   * The device: a template over the topic's placeholders (`{device_id}`, `plant-{site}-{machine}`), a topic
   * level (`device_id_topic_level`, 0-based, negative from the end) or a JSON path in the payload
   * (`device_id_path`). With none of them, `{device_id}` from the topic.
   */
  device_id?: string;
  device_id_topic_level?: number;
  device_id_path?: string;
  /** `{key: json_path}`: which values to store under which keys. Without it the payload (or values_path) is read as Fieldline JSON. */
  values?: Record<string, string>;
  values_path?: string;
  timestamp_path?: string;
  /** How a numeric timestamp is counted (default ms); ISO 8601 strings are always accepted. */
  timestamp_unit?: 'ms' | 's';
  /** Create the device on first sight (default false: unknown devices are refused and counted). */
  create_devices?: boolean;
  device_type?: string;
}

export interface ForwardAction {
  type: 'forward';
  /** A webhook integration of the same organization; the message goes through the notifications outbox. */
  integration_id: string;
}

export interface RepublishAction {
  type: 'republish';
  /** May hold the topic's placeholders: `plant/{site}/{device_id}/data`. */
  topic: string;
  qos?: Qos;
  retain?: boolean;
}

/** Live connection state of one MQTT integration on this node. */
export interface ConnectionStatus {
  integration_id: string;
  organization_id: string;
  state: 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'stopped';
  connected: boolean;
  last_connected_at: number | null;
  last_disconnected_at: number | null;
  messages_received: number;
  subscribed_topics_count: number;
  subscribed_topics: string[];
  client_id: string;
  broker_info: {
    url: string;
    protocol_version: MqttProtocolVersion;
    session_present: boolean | null;
    /** Properties the broker announced in CONNACK (MQTT 5), e.g. receive_maximum. */
    properties: Record<string, unknown> | null;
  };
  connection_error: string | null;
  /** Failed attempts since the last successful connection. */
  reconnect_attempts: number;
  next_reconnect_in_ms: number | null;
}
