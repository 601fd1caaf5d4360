import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FieldlineError } from '../kernel/index.js';
import { verifyMosquittoPassword } from './generators/mosquitto-password.js';
import { ServiceCatalog } from './service-catalog.js';
import { StackBuilder, type StackBundle } from './stack-builder.js';
import type { StackRequest } from './stack-plan.js';

const NOW = new Date('2026-01-15T12:00:00Z');
const builder = new StackBuilder({ now: () => NOW });
const stack = (...appIds: string[]): StackRequest => ({ instances: appIds.map((appId) => ({ appId })) });
const file = (b: StackBundle, path: string) => {
  const f = b.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${b.files.map((x) => x.path).join(', ')}`);
  return f.content;
};
const envOf = (b: StackBundle): Record<string, string> =>
  Object.fromEntries(
    file(b, '.env')
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1).replace(/^'(.*)'$/, '$1')] as [string, string];
      })
      // Variables the operator fills in later (an Ignition API key) are empty in a fresh bundle.
      .filter(([, v]) => v !== ''),
  );
async function problemsOf(request: StackRequest): Promise<Record<string, string>> {
  try {
    await builder.generate(request);
  } catch (err) {
    if (err instanceof FieldlineError) return Object.fromEntries((err.errors ?? []).map((e) => [e.field, e.message]));
    throw err;
  }
  throw new Error('expected the stack to be refused');
}

describe('ServiceCatalog', () => {
  const catalog = new ServiceCatalog();
  it('has the services the issue lists, each with a pinned image, a healthcheck or a reason, and integrations', () => {
    const required = [
      'fieldline',
      'mosquitto',
      'emqx',
      'node-red',
      'grafana',
      'prometheus',
      'loki',
      'alloy',
      'node-exporter',
      'cadvisor',
      'postgres',
      'timescaledb',
      'mariadb',
      'influxdb',
      'redis',
      'traefik',
      'nginx-proxy-manager',
      'keycloak',
      'portainer',
      'n8n',
      'vault',
      'mailpit',
      'ignition',
      'ntfy',
      'telegraf',
      'adminer',
    ];
    expect(catalog.ids()).toEqual(expect.arrayContaining(required));
    expect(catalog.ids().length).toBeGreaterThanOrEqual(25);
    for (const s of catalog.list()) {
      expect(s.image, s.id).toMatch(/:[\w.-]+$/);
      expect(s.image, s.id).not.toMatch(/:latest$/);
      expect(s.provides.length + s.consumes.length, s.id).toBeGreaterThan(0);
    }
  });
  it('suggests the catalog name for a known alias or a typo', () => {
    expect(catalog.suggest('mailhog')).toBe('mailpit');
    expect(catalog.suggest('promtail')).toBe('alloy');
    expect(catalog.suggest('mosquito')).toBe('mosquitto');
  });
});

describe('integration detection', () => {
  it('wires Fieldline to the stack database, cache, broker and mail', () => {
    const r = builder.detect(stack('fieldline', 'timescaledb', 'redis', 'mosquitto', 'mailpit'));
    const providersOfFieldline = r.integrations
      .filter((i) => i.consumers.some((c) => c.instanceName === 'fieldline'))
      .map((i) => `${i.kind}:${i.provider.instanceName}`);
    expect(providersOfFieldline.sort()).toEqual(
      ['db_provider:redis', 'db_provider:timescaledb', 'email:mailpit', 'mqtt_broker:mosquitto'].sort(),
    );
    expect(r.conflicts).toEqual([]);
  });

  it('recommends a datasource for Grafana alone and a mail server for Keycloak', () => {
    const r = builder.detect(stack('grafana', 'keycloak'));
    expect(r.recommendations.map((x) => x.appId)).toEqual(expect.arrayContaining(['prometheus', 'mailpit']));
    expect(r.recommendations.find((x) => x.appId === 'prometheus')!.for).toEqual(['grafana']);
  });

  it('reports two reverse proxies, shared host ports and consumers without their provider', () => {
    const r = builder.detect(stack('traefik', 'nginx-proxy-manager', 'alloy', 'node-exporter'));
    const types = r.conflicts.map((c) => `${c.type}:${c.services.join('+')}`);
    expect(types).toContain('duplicate_provider:traefik+nginx-proxy-manager');
    expect(types).toContain('port_conflict:traefik+nginx-proxy-manager');
    expect(types).toContain('missing_provider:alloy');
    expect(types).toContain('missing_provider:node-exporter');
    expect(r.recommendations.map((x) => x.appId)).toEqual(expect.arrayContaining(['loki', 'prometheus']));
  });

  it('reports two explicit claims on one host port as an error that generate refuses', async () => {
    const request: StackRequest = {
      instances: [
        { appId: 'grafana', ports: { '3000': 8000 } },
        { appId: 'n8n', ports: { '5678': 8000 } },
      ],
    };
    const conflict = builder.detect(request).conflicts.find((c) => c.type === 'port_conflict');
    expect(conflict).toMatchObject({ severity: 'error', port: 8000 });
    expect(await problemsOf(request)).toHaveProperty(['instances.1.ports.5678']);
  });

  it('moves a default port that another service has, and says so', () => {
    const r = builder.detect(stack('mosquitto', 'emqx'));
    expect(r.conflicts.find((c) => c.port === 1883)?.resolution).toBe('emqx is published on 1884 instead');
  });
});

describe('bad input', () => {
  it('names every bad field at once', async () => {
    const problems = await problemsOf({
      instances: [
        { appId: 'mosquito' },
        { appId: 'grafana', instanceName: 'Bad Name' },
        { appId: 'grafana', ports: { '9999': 1 } },
      ],
      settings: {
        reverse_proxy: { base_domain: 'exa mple.com', letsencrypt_email: 'not-an-email' },
        mqtt: { tls_port: 1883, password: 'short' },
        oauth: { realm_name: 'master' },
        email: { from_address: 'a@@b' },
        surprise: true,
      },
    });
    expect(problems['instances.0.app_id']).toMatch(/did you mean 'mosquitto'/);
    expect(problems['instances.1.instance_name']).toBeDefined();
    expect(problems['instances.2.ports.9999']).toMatch(/no container port 9999/);
    expect(Object.keys(problems)).toEqual(
      expect.arrayContaining([
        'settings.reverse_proxy.base_domain',
        'settings.reverse_proxy.letsencrypt_email',
        'settings.mqtt.tls_port',
        'settings.mqtt.password',
        'settings.oauth.realm_name',
        'settings.email.from_address',
        'settings.surprise',
      ]),
    );
  });

  it("refuses HTTPS without a reverse proxy, for a non-public domain, or without a Let's Encrypt address", async () => {
    expect(
      await problemsOf({ ...stack('grafana'), settings: { reverse_proxy: { enable_https: true } } }),
    ).toHaveProperty(['settings.reverse_proxy.enable_https']);
    const local = await problemsOf({
      ...stack('traefik', 'grafana'),
      settings: { reverse_proxy: { enable_https: true, base_domain: 'plant.local' } },
    });
    expect(local['settings.reverse_proxy.base_domain']).toMatch(/Let's Encrypt/);
    expect(local['settings.reverse_proxy.letsencrypt_email']).toMatch(/required/);
  });

  it('refuses an unknown template and an empty stack', async () => {
    expect(await problemsOf({ template: 'everything' })).toHaveProperty(['template']);
    expect(await problemsOf({})).toHaveProperty(['instances']);
  });
});

describe('generated secrets', () => {
  const full: StackRequest = { ...stack(...new ServiceCatalog().ids()), settings: { mqtt: { enable_tls: true } } };

  it('are strong, distinct, and the same for the same seed', async () => {
    const a = envOf(await builder.generate(full, { seed: 'seed-one-1234' }));
    const b = envOf(await builder.generate(full, { seed: 'seed-one-1234' }));
    const c = envOf(await builder.generate(full, { seed: 'seed-two-1234' }));
    const d = envOf(await builder.generate(full));
    expect(a).toEqual(b);
    const values = Object.values(a);
    expect(new Set(values).size).toBe(values.length);
    for (const [k, v] of Object.entries(a)) {
      expect(v.length, k).toBeGreaterThanOrEqual(32);
      expect(c[k], k).not.toBe(v);
      expect(d[k], k).not.toBe(v);
    }
  });

  it('adding a service to a seeded stack keeps the secrets of the others', async () => {
    const small = envOf(await builder.generate(stack('grafana', 'postgres'), { seed: 'stable-seed' }));
    const bigger = envOf(await builder.generate(stack('grafana', 'postgres', 'n8n'), { seed: 'stable-seed' }));
    expect(bigger.GRAFANA_ADMIN_PASSWORD).toBe(small.GRAFANA_ADMIN_PASSWORD);
    expect(bigger.POSTGRES_ADMIN_PASSWORD).toBe(small.POSTGRES_ADMIN_PASSWORD);
  });

  it('reach only the services meant to know them', async () => {
    const bundle = await builder.generate(full, { seed: 'audience' });
    const env = envOf(bundle);
    const compose = parse(file(bundle, 'docker-compose.yml'));
    const expand = (text: string) => text.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? '');
    const knownBy = new Map<string, string>();
    for (const [name, svc] of Object.entries<Record<string, unknown>>(compose.services))
      knownBy.set(name, expand(JSON.stringify(svc)));
    for (const f of bundle.files) {
      const m = /^configs\/([^/]+)\//.exec(f.path);
      if (m) knownBy.set(m[1]!, `${knownBy.get(m[1]!) ?? ''}\n${f.content}`);
    }
    for (const secret of bundle.secrets) {
      const value = env[secret.envVar]!;
      const holders = [...knownBy].filter(([, text]) => text.includes(value)).map(([name]) => name);
      expect(secret.audience, `${secret.envVar} reaches ${holders.join(', ')}`).toEqual(
        expect.arrayContaining(holders),
      );
    }
    // Scripts, README and compose metadata carry no secret value.
    for (const f of bundle.files.filter(
      (x) => !x.path.startsWith('configs/') && x.path !== '.env' && !x.path.startsWith('tls/'),
    ))
      for (const [k, v] of Object.entries(env)) expect(f.content.includes(v), `${k} in ${f.path}`).toBe(false);
  });

  it('hashes broker passwords in the Mosquitto password file, never in plaintext', async () => {
    const bundle = await builder.generate({
      ...stack('mosquitto', 'fieldline', 'node-red'),
      settings: { mqtt: { username: 'devices', password: 'Very-long-device-pw1' } },
    });
    const env = envOf(bundle);
    const passwd = file(bundle, 'configs/mosquitto/passwd').trim().split('\n');
    const line = (user: string) => passwd.find((l) => l.startsWith(`${user}:`))!;
    expect(verifyMosquittoPassword(line('devices'), 'Very-long-device-pw1')).toBe(true);
    expect(verifyMosquittoPassword(line('fieldline'), env.FIELDLINE_MQTT_PASSWORD!)).toBe(true);
    expect(verifyMosquittoPassword(line('node-red'), env.NODE_RED_MQTT_PASSWORD!)).toBe(true);
    for (const v of Object.values(env)) expect(passwd.join('\n')).not.toContain(v);
  });
});

describe('Fieldline wiring', () => {
  it('points FIELDLINE_* at the stack PostgreSQL, Redis and broker and turns the embedded broker off', async () => {
    const bundle = await builder.generate({ template: 'fieldline-minimal' }, { seed: 'wiring' });
    const env = envOf(bundle);
    const fl = parse(file(bundle, 'docker-compose.yml')).services.fieldline;
    expect(fl.environment.FIELDLINE_DATABASE_URL).toBe(
      `postgres://fieldline:\${POSTGRES_FIELDLINE_PASSWORD}@postgres:5432/fieldline`,
    );
    expect(fl.environment.FIELDLINE_REDIS_URL).toBe(`redis://:\${REDIS_PASSWORD}@redis:6379/0`);
    expect(fl.environment.FIELDLINE_MQTT_URL).toBe(`mqtt://fieldline:\${FIELDLINE_MQTT_PASSWORD}@mosquitto:1883`);
    expect(fl.environment.FIELDLINE_MQTT_PORT).toBe('0');
    expect(fl.environment.FIELDLINE_HTTP_PORT).toBe('8080');
    expect(fl.ports).toEqual(['8080:8080']);
    expect(fl.depends_on.postgres.condition).toBe('service_healthy');
    expect(env.POSTGRES_FIELDLINE_PASSWORD).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(file(bundle, 'configs/postgres/initdb/10-stack-databases.sh')).toContain(
      'CREATE DATABASE fieldline OWNER fieldline;',
    );
  });

  it('keeps the embedded broker when the stack has none', async () => {
    const fl = parse(file(await builder.generate(stack('fieldline')), 'docker-compose.yml')).services.fieldline;
    expect(fl.environment.FIELDLINE_MQTT_PORT).toBe('1883');
    expect(fl.ports).toEqual(['8080:8080', '1883:1883']);
  });
});
