import type { ServiceCatalog } from './service-catalog.js';
import type { IntegrationKind } from './types.js';
import { INTEGRATION_KINDS } from './types.js';

export interface IntegrationType {
  kind: IntegrationKind;
  displayName: string;
  description: string;
  /** Two providers in one stack fight over the same thing (ports 80/443 for reverse proxies). */
  exclusive: boolean;
  /** The catalog service recommended when a consumer needs this and no provider is chosen. */
  recommendedProvider: string;
}

/** The nine integration types the builder knows how to configure, and what each one does. */
export const INTEGRATION_TYPES: Readonly<Record<IntegrationKind, IntegrationType>> = {
  reverse_proxy: {
    kind: 'reverse_proxy',
    displayName: 'Reverse proxy',
    description:
      "One subdomain per web UI under the base domain, HTTPS with Let's Encrypt and an HTTP to HTTPS redirect.",
    exclusive: true,
    recommendedProvider: 'traefik',
  },
  oauth_provider: {
    kind: 'oauth_provider',
    displayName: 'Single sign-on (OpenID Connect)',
    description: 'A realm with a confidential client, secret and redirect URIs for every consumer; roles mapped.',
    exclusive: true,
    recommendedProvider: 'keycloak',
  },
  db_provider: {
    kind: 'db_provider',
    displayName: 'Database',
    description:
      'A database and user of its own for every consumer, created at first start; connection settings injected.',
    exclusive: false,
    recommendedProvider: 'postgres',
  },
  mqtt_broker: {
    kind: 'mqtt_broker',
    displayName: 'MQTT broker',
    description: 'A broker user with its own password and ACL for every consumer; TLS with a generated CA on request.',
    exclusive: false,
    recommendedProvider: 'mosquitto',
  },
  email: {
    kind: 'email',
    displayName: 'E-mail (SMTP)',
    description: 'SMTP host, port and sender address set in every consumer.',
    exclusive: true,
    recommendedProvider: 'mailpit',
  },
  visualization: {
    kind: 'visualization',
    displayName: 'Visualization',
    description: 'A provisioned Grafana datasource for every database, metrics and log store of the stack.',
    exclusive: false,
    recommendedProvider: 'grafana',
  },
  metrics_collector: {
    kind: 'metrics_collector',
    displayName: 'Metrics collection',
    description: 'A Prometheus scrape job for every service that exposes metrics.',
    exclusive: false,
    recommendedProvider: 'prometheus',
  },
  log_aggregation: {
    kind: 'log_aggregation',
    displayName: 'Log aggregation',
    description: 'Grafana Alloy ships the logs of every container to Loki, labelled by service.',
    exclusive: true,
    recommendedProvider: 'loki',
  },
  secrets_management: {
    kind: 'secrets_management',
    displayName: 'Secrets management',
    description: "Vault initialized and unsealed by a script that stores every service's credentials in its KV store.",
    exclusive: true,
    recommendedProvider: 'vault',
  },
};

export interface IntegrationTypeView {
  kind: IntegrationKind;
  displayName: string;
  description: string;
  providers: string[];
  consumers: string[];
}

/** Integration types with their providers and consumers, read from the catalog's declarations. */
export class IntegrationRegistry {
  constructor(private readonly catalog: ServiceCatalog) {}

  type(kind: IntegrationKind): IntegrationType {
    return INTEGRATION_TYPES[kind];
  }

  list(): IntegrationTypeView[] {
    return INTEGRATION_KINDS.map((kind) => ({
      kind,
      displayName: INTEGRATION_TYPES[kind].displayName,
      description: INTEGRATION_TYPES[kind].description,
      providers: this.catalog.providersOf(kind).map((d) => d.id),
      consumers: this.catalog.consumersOf(kind).map((d) => d.id),
    }));
  }
}
