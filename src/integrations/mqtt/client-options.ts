import type { IClientOptions } from 'mqtt';
import type { MqttBrokerConfig, MqttIntegrationConfig, MqttProtocolVersion } from '../types.js';

export const DEFAULTS = {
  keepAlive: 60,
  connectTimeoutMs: 10_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 30_000,
  sessionExpiryS: 3_600,
  receiveMaximum: 65_535,
  maximumPacketSize: 1_048_576,
  qos: 1 as const,
  protocolVersion: 4 as MqttProtocolVersion,
};

export interface BrokerEndpoint {
  /** URL mqtt.js connects to, without credentials. */
  url: string;
  host: string;
  port: number;
  tls: boolean;
}

const SCHEME_PORTS: Record<string, number> = {
  mqtt: 1883,
  tcp: 1883,
  mqtts: 8883,
  ssl: 8883,
  tls: 8883,
  ws: 80,
  wss: 443,
};

/** Where to connect: broker.url, or host/port/use_tls (mqtts on 8883 when TLS, mqtt on 1883 otherwise). */
export function brokerEndpoint(broker: MqttBrokerConfig): BrokerEndpoint {
  if (broker.url) {
    const u = new URL(broker.url);
    const scheme = u.protocol.replace(/:$/, '');
    const tls = scheme === 'mqtts' || scheme === 'ssl' || scheme === 'tls' || scheme === 'wss';
    const port = u.port ? Number(u.port) : (SCHEME_PORTS[scheme] ?? 1883);
    const normalized = scheme === 'tcp' ? 'mqtt' : scheme === 'ssl' || scheme === 'tls' ? 'mqtts' : scheme;
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const path = normalized === 'ws' || normalized === 'wss' ? (u.pathname === '/' ? '/mqtt' : u.pathname) : '';
    return { url: `${normalized}://${u.host.replace(/:\d+$/, '')}:${port}${path}${u.search}`, host, port, tls };
  }
  const tls = broker.use_tls === true;
  const port = broker.port ?? (tls ? 8883 : 1883);
  const host = broker.host ?? 'localhost';
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `${tls ? 'mqtts' : 'mqtt'}://${shownHost}:${port}`, host, port, tls };
}

export const protocolVersionOf = (broker: MqttBrokerConfig): MqttProtocolVersion =>
  broker.protocol_version ?? DEFAULTS.protocolVersion;

/**
 * mqtt.js options for one integration. Reconnection is the caller's (exponential backoff is done by changing
 * reconnectPeriod between attempts); resubscription too, so it is done once per CONNACK whatever the session.
 */
export function clientOptions(config: MqttIntegrationConfig, clientId: string): IClientOptions {
  const b = config.broker;
  const endpoint = brokerEndpoint(b);
  const version = protocolVersionOf(b);
  const clean = b.clean_session !== false;
  const options: IClientOptions = {
    clientId,
    protocolVersion: version,
    clean,
    keepalive: b.keep_alive ?? DEFAULTS.keepAlive,
    connectTimeout: b.connect_timeout_ms ?? DEFAULTS.connectTimeoutMs,
    reconnectPeriod: b.reconnect_min_ms ?? DEFAULTS.reconnectMinMs,
    resubscribe: false,
    // Nothing is queued while offline: a publish to a disconnected broker fails at once instead of piling up.
    queueQoSZero: false,
  };
  if (b.username !== undefined && b.username !== '') options.username = b.username;
  if (b.password !== undefined && b.password !== '') options.password = b.password;
  if (version === 3) options.protocolId = 'MQIsdp';
  // MQTT 5 §3.1.2.11.2: without a Session Expiry Interval a session ends with the connection, clean or not.
  if (version === 5) {
    options.properties = {
      ...(clean ? {} : { sessionExpiryInterval: b.session_expiry_s ?? DEFAULTS.sessionExpiryS }),
      // Sent explicitly: a broker that gets none may fall back to its own small window (Mosquitto: 20).
      receiveMaximum: b.receive_maximum ?? DEFAULTS.receiveMaximum,
      // Bounds what one held message can cost in memory (the broker does not send bigger ones, MQTT 5 §3.1.2.11.4).
      maximumPacketSize: b.maximum_packet_size ?? DEFAULTS.maximumPacketSize,
    };
  }
  if (endpoint.tls) {
    options.rejectUnauthorized = b.verify_cert !== false;
    if (b.ca_cert) options.ca = b.ca_cert;
    if (b.client_cert) options.cert = b.client_cert;
    if (b.client_key) options.key = b.client_key;
    // Handed to tls.connect with the rest of the options (mqtt.js's type does not list it).
    if (b.client_key_passphrase)
      (options as IClientOptions & { passphrase?: string }).passphrase = b.client_key_passphrase;
    if (b.servername) options.servername = b.servername;
    else if (!/^[\d.]+$|:/.test(endpoint.host)) options.servername = endpoint.host;
  }
  return options;
}

/** The parts of a configuration that need a new connection when they change (everything but topics). */
export const connectionKey = (config: MqttIntegrationConfig, clientId: string): string =>
  JSON.stringify({ broker: config.broker, clientId });
