import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Command } from 'commander';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerStackCommands, ServiceCatalog, StackBuilder, type StackBundle } from '../src/stack/index.js';
import { createOrgWithMembers, startTestApp, type TestApp } from './helpers/app.js';

// A copy of shared/schemas (see its README for sources and licences), so the test runs on a bare checkout.
const SCHEMAS = join(import.meta.dirname, 'fixtures/schemas');

function compile(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8'));
  // Ajv 8 knows draft-07 under its http id only; compose-spec names it with https (see shared/schemas/README.md).
  delete schema.$schema;
  const ajv = new Ajv.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}
const validators = {
  compose: compile('compose-spec.json'),
  traefikStatic: compile('traefik-v3.json'),
  traefikDynamic: compile('traefik-v3-file-provider.json'),
  prometheus: compile('prometheus.json'),
};
function expectValid(validate: ValidateFunction, document: unknown, what: string): void {
  const ok = validate(document);
  expect(ok, `${what}: ${JSON.stringify(validate.errors?.slice(0, 5))}`).toBe(true);
}
const content = (b: StackBundle | { files: { path: string; content: string }[] }, path: string) => {
  const f = b.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f.content;
};

const builder = new StackBuilder();
const allIds = new ServiceCatalog().ids();
const https = {
  reverse_proxy: { base_domain: 'plant.acme-iiot.com', enable_https: true, letsencrypt_email: 'ops@acme-iiot.com' },
  mqtt: { enable_tls: true },
};

describe('generated files against their schemas and tools', () => {
  it.each(allIds)('%s alone gives a docker-compose.yml valid against the Compose Specification', async (id) => {
    const bundle = await builder.generate({ instances: [{ appId: id }] });
    expectValid(validators.compose, parse(content(bundle, 'docker-compose.yml')), id);
  });

  it('the full catalog with HTTPS and MQTT TLS gives valid Compose, Traefik and Prometheus files', async () => {
    const bundle = await builder.generate({ instances: allIds.map((appId) => ({ appId })), settings: https });
    const compose = parse(content(bundle, 'docker-compose.yml'));
    expectValid(validators.compose, compose, 'docker-compose.yml');
    expect(Object.keys(compose.services)).toHaveLength(allIds.length);
    expect(Object.keys(compose.networks)).toHaveLength(1);
    expect(compose['x-fieldline'].services).toHaveLength(allIds.length);
    for (const [name, svc] of Object.entries<Record<string, unknown>>(compose.services)) {
      expect(svc.image, name).toMatch(/:[\w.-]+$/);
      for (const dep of Object.keys((svc.depends_on as object) ?? {})) expect(compose.services).toHaveProperty([dep]);
    }
    // Every published host port is used once.
    const hostPorts = Object.values<{ ports?: string[] }>(compose.services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.split(':').at(-2)),
    );
    expect(new Set(hostPorts).size).toBe(hostPorts.length);

    const traefikStatic = parse(content(bundle, 'configs/traefik/traefik.yml'));
    expectValid(validators.traefikStatic, traefikStatic, 'traefik.yml');
    expect(traefikStatic.entryPoints.web.http.redirections.entryPoint.to).toBe('websecure');
    expect(traefikStatic.certificatesResolvers.letsencrypt.acme.email).toBe('ops@acme-iiot.com');
    const dynamic = parse(content(bundle, 'configs/traefik/dynamic/services.yml'));
    expectValid(validators.traefikDynamic, dynamic, 'dynamic/services.yml');
    expect(dynamic.http.routers.grafana.rule).toBe('Host(`grafana.plant.acme-iiot.com`)');
    expect(dynamic.http.routers.grafana.tls.certResolver).toBe('letsencrypt');
    expect(dynamic.http.services.grafana.loadBalancer.servers).toEqual([{ url: 'http://grafana:3000' }]);

    const prometheus = parse(content(bundle, 'configs/prometheus/prometheus.yml'));
    expectValid(validators.prometheus, prometheus, 'prometheus.yml');
    const jobs = prometheus.scrape_configs.map((j: { job_name: string }) => j.job_name);
    expect(jobs).toEqual(
      expect.arrayContaining(['fieldline', 'node-exporter', 'cadvisor', 'traefik', 'loki', 'prometheus']),
    );
    const fieldlineJob = prometheus.scrape_configs.find((j: { job_name: string }) => j.job_name === 'fieldline');
    expect(fieldlineJob.metrics_path).toBe('/metrics');
    expect(fieldlineJob.static_configs[0].targets).toEqual(['fieldline:8080']);
  });

  it('the HTTP-only variant is valid too and routes on the web entry point', async () => {
    const bundle = await builder.generate({ template: 'monitoring', instances: [{ appId: 'traefik' }] });
    const dynamic = parse(content(bundle, 'configs/traefik/dynamic/services.yml'));
    expectValid(validators.traefikStatic, parse(content(bundle, 'configs/traefik/traefik.yml')), 'traefik.yml');
    expectValid(validators.traefikDynamic, dynamic, 'dynamic');
    expect(dynamic.http.routers.grafana.entryPoints).toEqual(['web']);
    expect(dynamic.http.routers.prometheus.middlewares).toContain('stack-auth');
  });

  it('promtool accepts the generated prometheus.yml', async (ctx) => {
    let promtool = 'promtool';
    try {
      execFileSync(promtool, ['--version'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI === 'true')
        throw new Error('promtool is missing (Debian package prometheus, .ci/apt-packages)');
      ctx.skip('promtool is not installed (apt-get install prometheus)');
      promtool = '';
    }
    const bundle = await builder.generate({ instances: allIds.map((appId) => ({ appId })) });
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-stack-prom-'));
    try {
      const path = join(dir, 'prometheus.yml');
      writeFileSync(path, content(bundle, 'configs/prometheus/prometheus.yml'));
      const out = execFileSync(promtool, ['check', 'config', '--syntax-only', path], { encoding: 'utf8' });
      expect(out).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisions a Grafana datasource for every store, PostgreSQL with its plugin id, and Fieldline database', async () => {
    const bundle = await builder.generate({
      instances: ['grafana', 'prometheus', 'loki', 'postgres', 'timescaledb', 'mariadb', 'influxdb', 'fieldline'].map(
        (appId) => ({ appId }),
      ),
    });
    const ds = parse(content(bundle, 'configs/grafana/provisioning/datasources/datasources.yaml')).datasources;
    const types = Object.fromEntries(ds.map((d: { name: string; type: string }) => [d.name, d.type]));
    expect(types).toMatchObject({
      Prometheus: 'prometheus',
      Loki: 'loki',
      'PostgreSQL (postgres)': 'grafana-postgresql-datasource',
      'TimescaleDB (timescaledb)': 'grafana-postgresql-datasource',
      'MariaDB (mariadb)': 'mysql',
      'InfluxDB (influxdb)': 'influxdb',
      Fieldline: 'grafana-postgresql-datasource',
    });
    expect(ds.filter((d: { isDefault?: boolean }) => d.isDefault)).toHaveLength(1);
    const dashboards = parse(content(bundle, 'configs/grafana/provisioning/dashboards/dashboards.yaml'));
    expect(dashboards.providers[0].options.path).toBe('/var/lib/grafana/dashboards/stack');
  });

  it('imports a Keycloak realm with confidential clients, redirect URIs and the roles mapper Grafana needs', async () => {
    const bundle = await builder.generate({ template: 'full-iiot', instances: [{ appId: 'n8n' }], settings: https });
    const realm = JSON.parse(content(bundle, 'configs/keycloak/import/realm-fieldline.json'));
    const clients = Object.fromEntries(realm.clients.map((c: { clientId: string }) => [c.clientId, c]));
    expect(Object.keys(clients).sort()).toEqual(['fieldline', 'grafana', 'n8n', 'portainer', 'vault']);
    expect(clients.grafana).toMatchObject({
      publicClient: false,
      redirectUris: ['https://grafana.plant.acme-iiot.com/login/generic_oauth'],
    });
    expect(clients.grafana.protocolMappers[0]).toMatchObject({
      protocolMapper: 'oidc-usermodel-realm-role-mapper',
      config: { 'claim.name': 'roles' },
    });
    expect(realm.smtpServer).toMatchObject({ host: 'mailpit', port: '1025' });
    const grafana = parse(content(bundle, 'docker-compose.yml')).services.grafana.environment;
    expect(grafana.GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET).toBe(`\${KEYCLOAK_GRAFANA_CLIENT_SECRET}`);
    expect(grafana.GF_SMTP_HOST).toBe('mailpit:1025');
    expect(content(bundle, 'start.sh')).toContain('bash scripts/portainer_setup.sh');
    expect(content(bundle, 'README.md')).toContain('scripts/portainer_setup.sh');
  });
});

describe('fieldline stack build (CLI)', () => {
  function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    let code: number | null = null;
    const program = new Command().exitOverride();
    registerStackCommands(
      program,
      {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        exit: (c) => {
          code = c;
          throw new Error(`exit ${c}`);
        },
      },
      builder,
    );
    return program
      .parseAsync(['node', 'fieldline', 'stack', ...args])
      .catch(() => undefined)
      .then(() => ({ out: out.join(''), err: err.join(''), code }));
  }

  it('lists the catalog and the templates', async () => {
    expect((await run(['list'])).out).toContain('mosquitto');
    expect((await run(['templates'])).out).toContain('Full IIoT with SSO and HTTPS');
  });

  it('writes a folder with executable scripts and a private .env, and a zip with the same files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-stack-cli-'));
    try {
      const settings = join(dir, 'settings.json');
      writeFileSync(settings, JSON.stringify({ mqtt: { username: 'plant' } }));
      const r = await run([
        'build',
        '--template',
        'Fieldline minimal',
        '--settings',
        settings,
        '--out',
        join(dir, 'out'),
        '--seed',
        'cli-seed-1',
      ]);
      expect(r.code).toBeNull();
      expect(readFileSync(join(dir, 'out/configs/mosquitto/passwd'), 'utf8')).toMatch(/^plant:\$7\$101\$/m);
      const { statSync } = await import('node:fs');
      expect(statSync(join(dir, 'out/start.sh')).mode & 0o777).toBe(0o755);
      expect(statSync(join(dir, 'out/.env')).mode & 0o777).toBe(0o600);
      const again = await run(['build', '--services', 'grafana', '--out', join(dir, 'out')]);
      expect(again.code).toBe(2);
      const zip = await run(['build', '--services', 'grafana,prometheus', '--out', join(dir, 'b.zip')]);
      expect(zip.code).toBeNull();
      expect(Object.keys(unzipSync(readFileSync(join(dir, 'b.zip'))))).toContain('docker-compose.yml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains every problem with the input and exits 2', async () => {
    const r = await run(['build', '--services', 'grafana,mailhog', '--out', join(tmpdir(), 'never-written')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("services.1.app_id: unknown service 'mailhog'; did you mean 'mailpit'?");
  });
});

describe('stack HTTP API', () => {
  let t: TestApp;
  let viewer: string;
  beforeAll(async () => {
    t = await startTestApp();
    viewer = (await createOrgWithMembers(t, 'Stack Org')).tokens.viewer;
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the catalog and templates to viewers, and detect/generate to operators only', async () => {
    const catalog = await t.api('/api/v1/stack/catalog', { token: viewer });
    expect(catalog.status).toBe(200);
    expect(catalog.body.items.length).toBeGreaterThanOrEqual(25);
    expect(catalog.body.integrations.map((i: { kind: string }) => i.kind)).toHaveLength(9);
    expect(
      (await t.api('/api/v1/stack/templates', { token: viewer })).body.items.map((x: { id: string }) => x.id),
    ).toEqual(['fieldline-minimal', 'monitoring', 'full-iiot']);
    expect((await t.api('/api/v1/stack/generate', { token: viewer, body: { template: 'monitoring' } })).status).toBe(
      403,
    );
    expect((await t.api('/api/v1/stack/catalog')).status).toBe(401);
  });

  it('detects integrations, conflicts and recommendations', async () => {
    const r = await t.api('/api/v1/stack/detect-integrations', {
      token: t.adminToken,
      body: {
        instances: [
          { app_id: 'grafana' },
          { app_id: 'keycloak' },
          { app_id: 'traefik' },
          { app_id: 'nginx-proxy-manager' },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.services).toHaveLength(4);
    expect(r.body.conflicts.map((c: { type: string }) => c.type)).toContain('duplicate_provider');
    expect(r.body.recommendations.map((x: { app_id: string }) => x.app_id)).toEqual(
      expect.arrayContaining(['prometheus', 'mailpit']),
    );
    expect(r.body.integrations.find((i: { kind: string }) => i.kind === 'oauth_provider').consumers[0]).toMatchObject({
      instance_name: 'grafana',
    });
  });

  it('generates every file as JSON, and the ZIP unpacks to exactly those files', async () => {
    const body = { template: 'full-iiot', settings: https, seed: 'http-seed-1' };
    const gen = await t.api('/api/v1/stack/generate', { token: t.adminToken, body });
    expect(gen.status).toBe(200);
    const paths: string[] = gen.body.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'docker-compose.yml',
        '.env',
        'README.md',
        'start.sh',
        'start.bat',
        'configs/traefik/traefik.yml',
        'configs/traefik/dynamic/services.yml',
        'configs/mosquitto/mosquitto.conf',
        'configs/mosquitto/passwd',
        'configs/keycloak/import/realm-fieldline.json',
        'scripts/vault_init.sh',
        'tls/ca.crt',
      ]),
    );
    const res = await fetch(`${t.url}/api/v1/stack/download`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const unzipped = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(unzipped).sort()).toEqual([...paths].sort());
    // Same seed: same secrets in both answers (certificate signatures aside).
    expect(new TextDecoder().decode(unzipped['.env'])).toBe(content(gen.body, '.env'));
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-stack-zip-'));
    try {
      for (const [path, data] of Object.entries(unzipped)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), data);
      }
      expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toBe(content(gen.body, 'docker-compose.yml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 400 with the reason per field', async () => {
    const r = await t.api('/api/v1/stack/generate', {
      token: t.adminToken,
      body: {
        instances: [{ app_id: 'grafana' }, { app_id: 'nope' }],
        settings: { reverse_proxy: { base_domain: '-bad-', enable_https: true, letsencrypt_email: 'x' } },
      },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    const fields = r.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'instances.1.app_id',
        'settings.reverse_proxy.base_domain',
        'settings.reverse_proxy.letsencrypt_email',
      ]),
    );
    const unknown = await t.api('/api/v1/stack/generate', {
      token: t.adminToken,
      body: { template: 'monitoring', extra: 1 },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'extra', message: 'is not a known field' });
  });
});
