import mqtt from 'mqtt';
import type { MqttIntegrationConfig } from '../types.js';
import { brokerEndpoint, clientOptions, protocolVersionOf } from './client-options.js';
import {
  type ConnectionErrorKind,
  type ConnectionFailure,
  classifyConnectionError,
  closedBeforeConnack,
  timeoutFailure,
} from './connection-errors.js';

export interface ConnectionTestResult {
  status: 'success' | 'error';
  connected: boolean;
  /** One sentence: what happened. */
  message: string;
  /** On failure: the broker's or the system's reason (`bad username or password`). */
  details: string | null;
  error_kind: ConnectionErrorKind | null;
  connack_code: number | null;
  broker: { url: string; protocol_version: number; client_id: string };
  session_present: boolean | null;
  duration_ms: number;
}

/**
 * Connects once with the given settings and reports the outcome, then disconnects. It never reconnects, and
 * never touches the running connection of the integration (a test uses its own client id).
 */
export async function testMqttConnection(
  config: MqttIntegrationConfig,
  clientId: string,
): Promise<ConnectionTestResult> {
  const endpoint = brokerEndpoint(config.broker);
  const protocolVersion = protocolVersionOf(config.broker);
  const timeoutMs = config.broker.connect_timeout_ms ?? 10_000;
  const started = performance.now();
  const options = {
    ...clientOptions(config, clientId),
    reconnectPeriod: 0,
    connectTimeout: timeoutMs + 1000,
    clean: true,
  };
  delete options.properties;
  const where = `${endpoint.host}:${endpoint.port}`;
  const base = { broker: { url: endpoint.url, protocol_version: protocolVersion, client_id: clientId } };
  const finish = (outcome: { failure: ConnectionFailure } | { sessionPresent: boolean }): ConnectionTestResult => {
    const duration_ms = Math.round(performance.now() - started);
    if ('failure' in outcome)
      return {
        status: 'error',
        connected: false,
        message: outcome.failure.message,
        details: outcome.failure.reason,
        error_kind: outcome.failure.kind,
        connack_code: outcome.failure.connack_code,
        ...base,
        session_present: null,
        duration_ms,
      };
    return {
      status: 'success',
      connected: true,
      message: `Connected to ${endpoint.url} (MQTT ${protocolVersion === 5 ? '5.0' : protocolVersion === 4 ? '3.1.1' : '3.1'})`,
      details: null,
      error_kind: null,
      connack_code: 0,
      ...base,
      session_present: outcome.sessionPresent,
      duration_ms,
    };
  };

  return new Promise<ConnectionTestResult>((resolve) => {
    let settled = false;
    let transportUp = false;
    const client = mqtt.connect(endpoint.url, options);
    const done = (result: ConnectionTestResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners();
      // An error after the answer (a late socket reset) must not become an unhandled 'error' event.
      client.on('error', () => {});
      client.end(true, () => resolve(result));
    };
    const timer = setTimeout(
      () => done(finish({ failure: timeoutFailure(where, timeoutMs, transportUp ? 'connack' : 'tcp') })),
      timeoutMs,
    );
    client.stream?.once?.(endpoint.tls ? 'secureConnect' : 'connect', () => {
      transportUp = true;
    });
    client.once('connect', (connack) => done(finish({ sessionPresent: connack.sessionPresent })));
    client.on('error', (err) =>
      done(
        finish({
          failure: classifyConnectionError(err, {
            host: endpoint.host,
            port: endpoint.port,
            protocolVersion,
            username: Boolean(config.broker.username),
          }),
        }),
      ),
    );
    client.on('close', () => {
      // 'error' comes first when there is one; a bare close before CONNACK is a peer that hung up.
      setImmediate(() => done(finish({ failure: closedBeforeConnack(where) })));
    });
  });
}
