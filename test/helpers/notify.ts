import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { type AppOptions, createApp } from '../../src/app.js';
import { configFrom } from '../../src/config.js';
import { createLogger } from '../../src/kernel/index.js';
import type { AlertNotice } from '../../src/notify/index.js';
import { ADMIN_PASSWORD, type ApiInit, apiCall, type TestApp } from './app.js';

/** Like startTestApp, with createApp options (an injected resolver, a capturing logger). */
export async function startNotifyApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fieldline-notify-'));
  const config = configFrom({
    FIELDLINE_HTTP_HOST: '127.0.0.1',
    FIELDLINE_HTTP_PORT: '0',
    FIELDLINE_MQTT_PORT: '0',
    FIELDLINE_DATA_DIR: dataDir,
    FIELDLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    FIELDLINE_LOG_LEVEL: process.env.FIELDLINE_TEST_LOG ?? 'silent',
    ...env,
  });
  const app = await createApp(config, { logger: createLogger(config.logLevel), ...options });
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
    mqttUrl: 'mqtt://127.0.0.1:0',
    close: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function orgIdOf(t: TestApp, token = t.adminToken): Promise<string> {
  const me = await t.api('/api/v1/me', { token });
  return me.body.organization.id;
}

/** Polls until check() answers something truthy; the bound only keeps a broken test from hanging. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer a request; null holds it open without an answer (a receiver that hangs). */
export type Responder = (
  req: ReceivedRequest,
) => { status: number; headers?: Record<string, string>; body?: string } | null;

/** An HTTP receiver on loopback that records every request and answers as told. */
export async function startReceiver(host = '127.0.0.1', port = 0) {
  const requests: ReceivedRequest[] = [];
  let responder: Responder = () => ({ status: 200 });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      const answer = responder(r);
      if (answer === null) return;
      res.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' });
      res.end(answer.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    requests,
    respond(r: Responder) {
      responder = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SmtpSinkOptions {
  port?: number;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with smtp-server's built-in self-signed certificate. */
  starttls?: boolean;
}

/** An SMTP server on loopback (smtp-server) that parses every message with mailparser. */
export async function startSmtpSink(o: SmtpSinkOptions = {}) {
  const messages: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    logger: false,
    // Do not wait for idle pooled client connections when a test closes the sink.
    closeTimeout: 50,
    disabledCommands: [...(o.starttls ? [] : ['STARTTLS']), ...(o.auth ? [] : ['AUTH'])],
    authOptional: !o.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass)
        callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (for "the server is down"). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function sampleAlert(organizationId: string, patch: Partial<AlertNotice> = {}): AlertNotice {
  return {
    id: `alert-${Math.random().toString(36).slice(2, 10)}`,
    organization_id: organizationId,
    rule_id: 'rule-1',
    rule_name: 'High Temperature Alert',
    device_id: 'device-001',
    device_name: 'Sensor-01',
    severity: 'critical',
    status: 'active',
    message: 'Temperature exceeded threshold: 28.5 > 25',
    value: 28.5,
    threshold: 25,
    created_at: Date.now(),
    ...patch,
  };
}
