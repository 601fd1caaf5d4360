/**
 * Why a connection to a broker failed, in words an operator can act on: the broker's CONNACK refusal with its
 * code's meaning, a DNS failure, a TLS failure, a refused or unreachable TCP connection, or a timeout.
 */

/** MQTT 3.1.1 §3.2.2.3, CONNACK return codes. */
const CONNACK_V3: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

/** MQTT 5.0 §3.2.2.2, CONNACK reason codes (0x80 and up are failures). */
const CONNACK_V5: Record<number, string> = {
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'unsupported protocol version',
  133: 'client identifier not valid',
  134: 'bad username or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  140: 'bad authentication method',
  144: 'topic name invalid',
  149: 'packet too large',
  151: 'quota exceeded',
  153: 'payload format invalid',
  154: 'retain not supported',
  155: 'QoS not supported',
  156: 'use another server',
  157: 'server moved',
  159: 'connection rate exceeded',
};

export function connackMeaning(code: number, protocolVersion: number): string {
  const meaning = protocolVersion === 5 ? CONNACK_V5[code] : CONNACK_V3[code];
  return meaning ?? `unknown CONNACK code ${code}`;
}

export type ConnectionErrorKind = 'connack' | 'dns' | 'tls' | 'network' | 'timeout' | 'protocol';

export interface ConnectionFailure {
  kind: ConnectionErrorKind;
  /** One sentence for people: what happened and, where it helps, what to check. */
  message: string;
  /** The broker's reason (`bad username or password`) or the system's (`getaddrinfo ENOTFOUND …`). */
  reason: string;
  connack_code: number | null;
  /** Whether retrying without a configuration change can help (the broker may come back; a password will not). */
  transient: boolean;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

interface ErrLike {
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  cause?: unknown;
}

/** Classifies an error mqtt.js (or the socket under it) emitted while connecting. */
export function classifyConnectionError(
  err: unknown,
  ctx: { host: string; port: number; protocolVersion: number; username: boolean },
): ConnectionFailure {
  const e = (err ?? {}) as ErrLike;
  const code = e.code;
  const text = typeof e.message === 'string' ? e.message : String(err);
  const where = `${ctx.host}:${ctx.port}`;
  if (typeof code === 'number') {
    const reason = connackMeaning(code, ctx.protocolVersion);
    const credentials = code === 4 || code === 0x86 || ((code === 5 || code === 0x87) && ctx.username);
    const hint =
      code === 5 || code === 0x87
        ? ctx.username
          ? ' (Mosquitto and other brokers also answer this to a wrong username or password)'
          : ' (the broker may need a username and password)'
        : '';
    return {
      kind: 'connack',
      message: `The broker refused the connection: ${reason} (CONNACK code ${code})${hint}`,
      reason,
      connack_code: code,
      // Server unavailable / busy / rate limited clear up by themselves; credentials and bans do not.
      transient: !credentials && [3, 0x88, 0x89, 0x97, 0x9f, 0x80].includes(code),
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') {
    return {
      kind: 'dns',
      message: `DNS lookup of ${ctx.host} failed (${code === 'EAI_AGAIN' ? 'temporary DNS failure' : 'no such host'})`,
      reason: text,
      connack_code: null,
      transient: code === 'EAI_AGAIN',
    };
  }
  if (
    (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'))) ||
    /SSL|TLS|certificate/i.test(text)
  ) {
    return {
      kind: 'tls',
      message: `TLS with ${where} failed: ${text}${/self[- ]signed|issuer|verify/i.test(text) ? ' (set broker.ca_cert to the CA that signed the broker certificate, or verify_cert: false for testing)' : ''}`,
      reason: text,
      connack_code: null,
      transient: false,
    };
  }
  if (code === 'ECONNREFUSED')
    return {
      kind: 'network',
      message: `Connection to ${where} refused: nothing is listening there (is the broker running, is the port right?)`,
      reason: text,
      connack_code: null,
      transient: true,
    };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET' || code === 'EPIPE')
    return {
      kind: 'network',
      message: `Network error talking to ${where}: ${text}`,
      reason: text,
      connack_code: null,
      transient: true,
    };
  if (code === 'ETIMEDOUT')
    return {
      kind: 'timeout',
      message: `Timed out connecting to ${where}`,
      reason: text,
      connack_code: null,
      transient: true,
    };
  return {
    kind: 'protocol',
    message: `Connection to ${where} failed: ${text}`,
    reason: text,
    connack_code: null,
    transient: true,
  };
}

export function timeoutFailure(where: string, ms: number, stage: 'tcp' | 'connack'): ConnectionFailure {
  return {
    kind: 'timeout',
    message:
      stage === 'tcp'
        ? `Timed out after ${ms} ms connecting to ${where} (no answer: a firewall, or the wrong host or port)`
        : `Timed out after ${ms} ms waiting for the broker's CONNACK at ${where} (is it an MQTT broker, with this protocol version and TLS setting?)`,
    reason: stage === 'tcp' ? 'TCP connection timed out' : 'no CONNACK',
    connack_code: null,
    transient: true,
  };
}

export function closedBeforeConnack(where: string): ConnectionFailure {
  return {
    kind: 'protocol',
    message: `${where} closed the connection before answering CONNACK (not an MQTT broker, TLS expected, or an unsupported protocol version)`,
    reason: 'connection closed before CONNACK',
    connack_code: null,
    transient: true,
  };
}
