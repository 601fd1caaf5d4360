import { fromAddress } from '../settings.js';
import type { StackContext } from '../stack-context.js';
import { envVarOf } from '../stack-secrets.js';
import { brokerUrl } from './mqtt-users.js';

/**
 * Environment wiring of consumers to the stack's broker, mail server and cache: each consumer gets its own
 * broker user, the SMTP host of the mail service, and waits for the broker to be healthy.
 */
export function wireBrokerClients(ctx: StackContext): void {
  for (const broker of ctx.wiring.providers('mqtt_broker'))
    for (const { consumer } of ctx.wiring.consumersOf(broker, 'mqtt_broker')) {
      const env = ctx.service(consumer.name).environment;
      const passwordVar = `${consumer.name.toUpperCase().replace(/-/g, '_')}_MQTT_PASSWORD`;
      ctx.dependOn(consumer.name, broker);
      switch (consumer.appId) {
        case 'fieldline':
          // The stack's broker replaces the embedded one: FIELDLINE_MQTT_PORT=0 turns Aedes off.
          env.set('FIELDLINE_MQTT_URL', `mqtt://${consumer.name}:\${${passwordVar}}@${broker.name}:1883`);
          env.set('FIELDLINE_MQTT_PORT', '0');
          break;
        default:
          env.set('MQTT_URL', brokerUrl(broker));
          env.set('MQTT_USERNAME', consumer.name);
          env.set('MQTT_PASSWORD', `\${${passwordVar}}`);
      }
    }
}

export function wireEmail(ctx: StackContext): void {
  const mail = ctx.wiring.provider('email');
  if (!mail || !ctx.settings.email.autoConfigureServices) return;
  const from = fromAddress(ctx.settings);
  for (const { consumer } of ctx.wiring.consumersOf(mail, 'email')) {
    const env = ctx.service(consumer.name).environment;
    switch (consumer.appId) {
      case 'fieldline':
        env.set('FIELDLINE_SMTP_URL', `smtp://${mail.name}:1025`);
        env.set('FIELDLINE_SMTP_FROM', `Fieldline <${from}>`);
        break;
      case 'grafana':
        env.set('GF_SMTP_ENABLED', 'true');
        env.set('GF_SMTP_HOST', `${mail.name}:1025`);
        env.set('GF_SMTP_FROM_ADDRESS', from);
        env.set('GF_SMTP_FROM_NAME', 'Grafana');
        env.set('GF_SMTP_STARTTLS_POLICY', 'NoStartTLS');
        break;
      case 'n8n':
        env.set('N8N_EMAIL_MODE', 'smtp');
        env.set('N8N_SMTP_HOST', mail.name);
        env.set('N8N_SMTP_PORT', '1025');
        env.set('N8N_SMTP_SSL', 'false');
        env.set('N8N_SMTP_STARTTLS', 'false');
        env.set('N8N_SMTP_SENDER', from);
        break;
      case 'ntfy':
        env.set('NTFY_SMTP_SENDER_ADDR', `${mail.name}:1025`);
        env.set('NTFY_SMTP_SENDER_FROM', from);
        break;
      default:
        // Keycloak's SMTP server is in its realm file; Ignition's mail profile is set by its setup script.
        break;
    }
  }
}

/** Fieldline's own variables: public URL and cache (database and broker are wired by their generators). */
export function wireFieldline(ctx: StackContext): void {
  for (const fieldline of ctx.wiring.byApp('fieldline')) {
    const env = ctx.service(fieldline.name).environment;
    const url = ctx.publicUrl(fieldline);
    if (url) env.set('FIELDLINE_PUBLIC_URL', url);
    const redis = ctx.wiring.of(fieldline, 'db_provider', 'redis');
    if (redis) env.set('FIELDLINE_REDIS_URL', `redis://:\${${envVarOf(redis.name, 'PASSWORD')}}@${redis.name}:6379/0`);
    ctx.note(
      fieldline.name,
      `Administrator \`admin\`, password ${envVarOf(fieldline.name, 'ADMIN_PASSWORD')} in .env. Database: ${
        ctx.wiring.of(fieldline, 'db_provider', 'postgres')?.name ?? 'embedded SQLite in its data volume'
      }; broker: ${ctx.wiring.of(fieldline, 'mqtt_broker')?.name ?? 'embedded (port 1883)'}.`,
    );
  }
}
