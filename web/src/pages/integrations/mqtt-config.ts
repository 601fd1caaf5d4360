/** The MQTT integration form and the `config` the API takes (docs/integrations.md "MQTT brokers"). */
export interface MqttForm {
  name: string;
  host: string;
  port: string;
  use_tls: boolean;
  username: string;
  password: string;
  client_id: string;
  protocol_version: '4' | '5';
  prefix: string;
  pattern: string;
  qos: '0' | '1' | '2';
}

export const emptyMqttForm = (): MqttForm => ({
  name: '',
  host: '',
  port: '1883',
  use_tls: false,
  username: '',
  password: '',
  client_id: '',
  protocol_version: '4',
  prefix: '',
  pattern: '',
  qos: '1',
});

const num = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s.trim());

export function mqttConfig(f: MqttForm): Record<string, unknown> {
  const broker: Record<string, unknown> = {
    host: f.host.trim(),
    port: num(f.port),
    use_tls: f.use_tls,
    protocol_version: Number(f.protocol_version),
  };
  if (f.username.trim()) broker.username = f.username.trim();
  if (f.password) broker.password = f.password;
  if (f.client_id.trim()) broker.client_id = f.client_id.trim();
  const topics: Record<string, unknown> = { qos: Number(f.qos) };
  if (f.prefix.trim()) topics.prefix = f.prefix.trim();
  if (f.pattern.trim()) topics.pattern = f.pattern.trim();
  return { broker, topics };
}
