/** The topic families Fieldline speaks, parsed once per message. */
export type TopicMatch =
  | { family: 'native'; kind: 'telemetry' | 'status'; deviceId: string }
  | { family: 'native'; kind: 'command_response'; deviceId: string; commandId: string }
  | { family: 'thingsboard'; kind: 'telemetry' | 'attributes' }
  | { family: 'thingsboard'; kind: 'rpc_response' | 'attributes_request'; requestId: string }
  | { family: 'sparkplug' }
  | { family: 'unknown' };

export const REFUSED_TOPIC = '$fieldline/refused';

/** Topic families as counted in /metrics (fieldline_mqtt_messages_*_total{family}). */
export type TopicFamily = TopicMatch['family'] | 'alerts';

export class TopicScheme {
  readonly devicesPrefix: string;

  constructor(readonly prefix: string) {
    this.devicesPrefix = `${prefix}/devices/`;
  }

  telemetry = (deviceId: string) => `${this.devicesPrefix}${deviceId}/telemetry`;
  status = (deviceId: string) => `${this.devicesPrefix}${deviceId}/status`;
  command = (deviceId: string, commandId: string) => `${this.devicesPrefix}${deviceId}/commands/${commandId}`;
  alerts = (deviceId: string) => `${this.prefix}/alerts/${deviceId}`;

  /** The family of a topic by its prefix only: cheap enough for every delivery. */
  family(topic: string): TopicFamily {
    if (topic.startsWith(this.devicesPrefix)) return 'native';
    if (topic.startsWith('v1/devices/me/')) return 'thingsboard';
    if (topic.startsWith('spBv1.0/')) return 'sparkplug';
    if (topic.startsWith(`${this.prefix}/alerts/`)) return 'alerts';
    return 'unknown';
  }

  /** Runs for every message: the usual native topics are matched by index, without splitting the topic. */
  parse(topic: string): TopicMatch {
    if (topic.startsWith(this.devicesPrefix)) {
      const start = this.devicesPrefix.length;
      const slash = topic.indexOf('/', start);
      if (slash <= start) return { family: 'unknown' };
      const deviceId = topic.slice(start, slash);
      const kindLength = topic.length - slash - 1;
      if (kindLength === 9 && topic.endsWith('telemetry')) return { family: 'native', kind: 'telemetry', deviceId };
      if (kindLength === 6 && topic.endsWith('status')) return { family: 'native', kind: 'status', deviceId };
      const [kind, commandId, response, ...more] = topic.slice(slash + 1).split('/');
      if (kind === 'commands' && commandId && response === 'response' && more.length === 0) {
        return { family: 'native', kind: 'command_response', deviceId, commandId };
      }
      return { family: 'unknown' };
    }
    if (topic.startsWith('v1/devices/me/')) {
      const rest = topic.slice('v1/devices/me/'.length);
      if (rest === 'telemetry') return { family: 'thingsboard', kind: 'telemetry' };
      if (rest === 'attributes') return { family: 'thingsboard', kind: 'attributes' };
      const m = /^(rpc\/response|attributes\/request)\/([^/]+)$/.exec(rest);
      if (m?.[2])
        return {
          family: 'thingsboard',
          kind: m[1] === 'rpc/response' ? 'rpc_response' : 'attributes_request',
          requestId: m[2],
        };
      return { family: 'unknown' };
    }
    if (topic.startsWith('spBv1.0/')) return { family: 'sparkplug' };
    return { family: 'unknown' };
  }
}

/**
 * Whether a subscription's topic filter matches a topic name (MQTT 3.1.1 §4.7): `+` is exactly one level, a
 * last `#` the rest including none (`a/#` matches `a`, [MQTT-4.7.1-2]), and a filter starting with a wildcard
 * does not match a topic starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const levels = filter.split('/');
  const names = topic.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') return i === levels.length - 1;
    if (i >= names.length || (level !== '+' && level !== names[i])) return false;
  }
  return levels.length === names.length;
}
