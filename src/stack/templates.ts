import type { RawSettings } from './settings.js';

export interface StackTemplate {
  id: string;
  name: string;
  description: string;
  services: readonly string[];
  /** Settings the template starts from; the caller's settings win field by field. */
  settings: RawSettings;
}

/** Ready selections for the common cases. */
export const STACK_TEMPLATES: readonly StackTemplate[] = [
  {
    id: 'fieldline-minimal',
    name: 'Fieldline minimal',
    description: 'Fieldline on PostgreSQL and Redis, devices on Mosquitto. The smallest production-shaped stack.',
    services: ['fieldline', 'postgres', 'redis', 'mosquitto'],
    settings: {},
  },
  {
    id: 'monitoring',
    name: 'Monitoring',
    description:
      'Prometheus, Grafana, Loki with Alloy, node exporter and cAdvisor: metrics and logs of the host and its containers.',
    services: ['prometheus', 'grafana', 'loki', 'alloy', 'node-exporter', 'cadvisor'],
    settings: {},
  },
  {
    id: 'full-iiot',
    name: 'Full IIoT with SSO and HTTPS',
    description:
      "Fieldline, TimescaleDB, Redis, Mosquitto with TLS, Node-RED, Grafana, Prometheus, Loki, Alloy, exporters, Keycloak SSO, Mailpit, Vault, Portainer behind Traefik with Let's Encrypt. Needs base_domain and letsencrypt_email.",
    services: [
      'fieldline',
      'timescaledb',
      'redis',
      'mosquitto',
      'node-red',
      'grafana',
      'prometheus',
      'loki',
      'alloy',
      'node-exporter',
      'cadvisor',
      'traefik',
      'keycloak',
      'mailpit',
      'vault',
      'portainer',
    ],
    settings: { reverse_proxy: { enable_https: true }, mqtt: { enable_tls: true } },
  },
];

/** A template by id or by display name, case-insensitive (`full-iiot`, "Full IIoT with SSO and HTTPS"). */
export function findTemplate(name: string): StackTemplate | undefined {
  const key = name.trim().toLowerCase();
  return STACK_TEMPLATES.find((t) => t.id === key || t.name.toLowerCase() === key);
}
