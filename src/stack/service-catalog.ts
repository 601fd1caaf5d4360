import { DATABASE_SERVICES } from './catalog/databases.js';
import { INFRASTRUCTURE_SERVICES } from './catalog/infrastructure.js';
import { MESSAGING_SERVICES } from './catalog/messaging.js';
import { OBSERVABILITY_SERVICES } from './catalog/observability.js';
import { PLATFORM_SERVICES } from './catalog/platform.js';
import type { Consumption, DbEngine, IntegrationKind, ServiceDefinition } from './types.js';

/** Names people type for services the catalog has under another id. */
const ALIASES: Readonly<Record<string, string>> = {
  mailhog: 'mailpit',
  promtail: 'alloy',
  'grafana-alloy': 'alloy',
  nodered: 'node-red',
  postgresql: 'postgres',
  timescale: 'timescaledb',
  influxdb2: 'influxdb',
  npm: 'nginx-proxy-manager',
  'nginx-proxy': 'nginx-proxy-manager',
  node_exporter: 'node-exporter',
  mysql: 'mariadb',
};

/**
 * Every service the stack builder can put in a bundle. Services that hold secrets are implicit, optional
 * consumers of secrets_management: the Vault init script stores their credentials.
 */
export class ServiceCatalog {
  private readonly byId: ReadonlyMap<string, ServiceDefinition>;

  constructor(definitions: readonly ServiceDefinition[] = ServiceCatalog.builtIn()) {
    const map = new Map<string, ServiceDefinition>();
    for (const def of definitions) {
      if (map.has(def.id)) throw new Error(`duplicate catalog service '${def.id}'`);
      const storesSecrets = def.secrets.length > 0 && !def.provides.some((p) => p.kind === 'secrets_management');
      const consumes: Consumption[] = storesSecrets
        ? [
            ...def.consumes,
            {
              kind: 'secrets_management',
              required: false,
              configures: 'its credentials stored in Vault KV by scripts/vault_init.sh',
            },
          ]
        : [...def.consumes];
      map.set(def.id, Object.freeze({ ...def, consumes }));
    }
    this.byId = map;
  }

  static builtIn(): readonly ServiceDefinition[] {
    return [
      ...PLATFORM_SERVICES,
      ...MESSAGING_SERVICES,
      ...DATABASE_SERVICES,
      ...OBSERVABILITY_SERVICES,
      ...INFRASTRUCTURE_SERVICES,
    ];
  }

  list(): readonly ServiceDefinition[] {
    return [...this.byId.values()];
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): ServiceDefinition | undefined {
    return this.byId.get(id);
  }

  /** The catalog id a user probably meant by an unknown name, for "did you mean" answers. */
  suggest(name: string): string | null {
    const key = name.trim().toLowerCase();
    const alias = ALIASES[key];
    if (alias !== undefined && this.byId.has(alias)) return alias;
    let best: { id: string; distance: number } | null = null;
    for (const id of this.byId.keys()) {
      const distance = editDistance(key, id);
      if (best === null || distance < best.distance) best = { id, distance };
    }
    return best !== null && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.id : null;
  }

  providersOf(kind: IntegrationKind, engines?: readonly DbEngine[]): ServiceDefinition[] {
    return this.list().filter((d) =>
      d.provides.some(
        (p) => p.kind === kind && (engines === undefined || (p.engine !== undefined && engines.includes(p.engine))),
      ),
    );
  }

  consumersOf(kind: IntegrationKind): ServiceDefinition[] {
    return this.list().filter((d) => d.consumes.some((c) => c.kind === kind));
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}
