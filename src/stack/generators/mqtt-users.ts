import type { StackContext } from '../stack-context.js';
import type { PlannedInstance } from '../stack-plan.js';

export interface MqttUser {
  username: string;
  /** .env variable holding the password. */
  envVar: string;
  /** Topic filters and access, for ACL files. */
  access: { topic: string; mode: 'read' | 'write' | 'readwrite' }[];
  description: string;
}

/** What each consuming service may do on the broker. */
const SERVICE_ACCESS: Readonly<Record<string, MqttUser['access']>> = {
  fieldline: [{ topic: '#', mode: 'readwrite' }],
  'node-red': [{ topic: '#', mode: 'readwrite' }],
  telegraf: [{ topic: '#', mode: 'read' }],
};

/**
 * The broker users of a stack: the caller's user for devices and clients (settings.mqtt), one user per
 * consuming service with its own password and ACL, and, for Mosquitto, a healthcheck user that reads $SYS.
 * Passwords live in .env; broker files hold only hashes.
 */
export function mqttUsersFor(ctx: StackContext, broker: PlannedInstance): MqttUser[] {
  const { mqtt } = ctx.settings;
  const users: MqttUser[] = [];
  const devices = 'MQTT_PASSWORD';
  if (mqtt.password !== null) {
    try {
      ctx.secrets.get(devices);
    } catch {
      ctx.secrets.provided(devices, mqtt.password, `broker user \`${mqtt.username}\` for devices and clients`, []);
    }
  } else ctx.secrets.define(devices, 'password', `broker user \`${mqtt.username}\` for devices and clients`, []);
  ctx.secrets.share(devices, broker.name);
  users.push({
    username: mqtt.username,
    envVar: devices,
    access: [{ topic: '#', mode: 'readwrite' }],
    description: 'devices and clients (settings.mqtt.username)',
  });

  for (const { consumer } of ctx.wiring.consumersOf(broker, 'mqtt_broker')) {
    const envVar = `${consumer.name.toUpperCase().replace(/-/g, '_')}_MQTT_PASSWORD`;
    ctx.secrets.define(envVar, 'password', `broker user \`${consumer.name}\` of ${consumer.def.name}`, [
      consumer.name,
      broker.name,
    ]);
    users.push({
      username: consumer.name,
      envVar,
      access: SERVICE_ACCESS[consumer.appId] ?? [{ topic: '#', mode: 'readwrite' }],
      description: consumer.def.name,
    });
  }
  return users;
}

/** The broker URL a service inside the stack uses. */
export function brokerUrl(broker: PlannedInstance): string {
  return `mqtt://${broker.name}:1883`;
}
