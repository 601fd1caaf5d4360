import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, createApp } from '../../src/app.js';
import { configFrom } from '../../src/config.js';
import { createLogger } from '../../src/kernel/index.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

let testDatabaseUrl: string | undefined;
/** Makes every app started by startTestApp use this database (a fresh PostgreSQL schema in the services tier). */
export function useDatabaseUrl(url: string | undefined): void {
  testDatabaseUrl = url;
}

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  /** fetch against the app, JSON in and out, with an optional bearer. */
  api: (path: string, init?: ApiInit) => Promise<ApiResponse>;
  /** A token for the bootstrap administrator (platform admin, owner of Default). */
  adminToken: string;
  /** mqtt://127.0.0.1:PORT of the embedded broker when started with { mqtt: true }. */
  mqttUrl: string;
  close: () => Promise<void>;
}

export interface ApiInit {
  method?: string;
  token?: string | null;
  body?: unknown;
  /** Sent as-is (for malformed bodies); wins over body. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  body: any;
  text: string;
}

export async function apiCall(base: string, path: string, init: ApiInit = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * The real app on port 0 with a fresh SQLite data dir (or the database URL given), the embedded broker off
 * unless asked for, logs silent unless FIELDLINE_TEST_LOG is set.
 */
/** A free TCP port on loopback (FIELDLINE_MQTT_PORT=0 means "no TCP listener", so tests pick one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: { mqtt?: boolean; webRoot?: string } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fieldline-test-'));
  // The services tier runs the same suites on PostgreSQL by setting this (see test/services/*.pg.test.ts).
  const databaseUrl = env.FIELDLINE_DATABASE_URL ?? testDatabaseUrl;
  const config = configFrom({
    FIELDLINE_HTTP_HOST: '127.0.0.1',
    FIELDLINE_HTTP_PORT: '0',
    FIELDLINE_MQTT_PORT: options.mqtt ? String(await freePort()) : '0',
    FIELDLINE_DATA_DIR: dataDir,
    FIELDLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    FIELDLINE_LOG_LEVEL: process.env.FIELDLINE_TEST_LOG ?? 'silent',
    ...env,
    ...(databaseUrl ? { FIELDLINE_DATABASE_URL: databaseUrl } : {}),
  });
  const app = await createApp(config, {
    logger: createLogger(config.logLevel),
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
  });
  const { httpUrl } = await app.start();
  const api = (path: string, init?: ApiInit) => apiCall(httpUrl, path, init);
  const login = await api('/api/v1/auth/login', { body: { username: config.adminUsername, password: ADMIN_PASSWORD } });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${login.text}`);
  return {
    app,
    url: httpUrl,
    dataDir,
    api,
    adminToken: login.body.access_token,
    mqttUrl: `mqtt://127.0.0.1:${app.broker?.port ?? 0}`,
    close: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A second organization with an owner, and members of every role in it; returns their tokens. */
export async function createOrgWithMembers(t: TestApp, name: string) {
  const org = await t.api('/api/v1/organizations', { token: t.adminToken, body: { name } });
  if (org.status !== 201) throw new Error(`create org failed: ${org.text}`);
  const orgId: string = org.body.id;
  const slug: string = org.body.slug;
  const ownerName = `${slug}-owner`;
  // The platform admin creates the org, then logs into it to add members.
  const adminInOrg = await t.api('/api/v1/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD, organization_id: orgId },
  });
  const tokens: Record<'owner' | 'admin' | 'operator' | 'viewer', string> = {} as never;
  for (const role of ['owner', 'admin', 'operator', 'viewer'] as const) {
    const username = role === 'owner' ? ownerName : `${slug}-${role}`;
    const created = await t.api('/api/v1/users', {
      token: adminInOrg.body.access_token,
      body: { username, password: `${username}-password`, role },
    });
    if (created.status !== 201) throw new Error(`create ${role} failed: ${created.text}`);
    const login = await t.api('/api/v1/auth/login', { body: { username, password: `${username}-password` } });
    tokens[role] = login.body.access_token;
  }
  return { orgId, tokens };
}
