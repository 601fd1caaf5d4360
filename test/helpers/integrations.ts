import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { type App, createApp } from '../../src/app.js';
import { configFrom } from '../../src/config.js';
import { createLogger } from '../../src/kernel/index.js';
import { ADMIN_PASSWORD, type ApiInit, type ApiResponse, apiCall, type TestApp } from './app.js';
import { waitFor } from './notify.js';

/**
 * A small MQTT broker the test owns, with username/password authentication: a wrong password gets CONNACK 4
 * (bad username or password), as MQTT 3.1.1 §3.2.2.3 defines it. It can be stopped and started again on the
 * same port, which is how a broker outage is played.
 */
export class TestBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(readonly users: Record<string, string> = { plant: 'plant-secret-pw' }) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const users = this.users;
    this.aedes = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        if (username !== undefined && users[username] !== undefined && users[username] === password?.toString()) {
          done(null, true);
          return;
        }
        done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
      },
    });
    const aedes = this.aedes;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Closes the listener and every connection, as a crashed broker would. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }

  get clientCount(): number {
    return this.aedes?.connectedClients ?? 0;
  }
}

/** A Mosquitto the test starts on a free port (never 1883), with a `$7$` password file, and can stop. */
export class OwnMosquitto {
  private child: ChildProcess | null = null;
  private dir: string | null = null;
  output = '';
  port = 0;

  constructor(readonly users: Record<string, string> = {}) {}

  static binary(): string | null {
    try {
      return (
        execFileSync('sh', ['-c', 'command -v mosquitto || ls /usr/sbin/mosquitto'], { encoding: 'utf8' }).trim() ||
        null
      );
    } catch {
      return null;
    }
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(port?: number): Promise<void> {
    const bin = OwnMosquitto.binary();
    if (!bin) throw new Error('mosquitto is not installed');
    this.port = port ?? (this.port || (await freeTcpPort()));
    this.dir ??= mkdtempSync(join(tmpdir(), 'fieldline-mosquitto-'));
    chmodSync(this.dir, 0o755);
    const lines = [`listener ${this.port} 127.0.0.1`, 'persistence false'];
    if (Object.keys(this.users).length) {
      // The line format of mosquitto_passwd: PBKDF2-SHA512, 101 iterations, 12-byte salt (Mosquitto 2.x).
      const passwd = Object.entries(this.users).map(([u, p]) => {
        const salt = randomBytes(12);
        return `${u}:$7$101$${salt.toString('base64')}$${pbkdf2Sync(p, salt, 101, 64, 'sha512').toString('base64')}`;
      });
      writeFileSync(join(this.dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
      lines.push('allow_anonymous false', `password_file ${join(this.dir, 'passwd')}`);
    } else lines.push('allow_anonymous true');
    writeFileSync(join(this.dir, 'mosquitto.conf'), `${lines.join('\n')}\n`, { mode: 0o644 });
    const child = spawn(bin, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d) => {
      this.output += d;
    });
    child.stderr?.on('data', (d) => {
      this.output += d;
    });
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${this.output}`);
      if (await portOpen(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port}: ${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** Asserts an answer's status, showing its body when it is not the one expected. */
export function expectStatus(res: ApiResponse, status: number): ApiResponse {
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text}`);
  return res;
}

/** Creates an MQTT integration with one ingest subscription; answers both ids. */
export async function mqttIntegrationWithIngest(
  t: TestApp,
  token: string,
  broker: Record<string, unknown>,
  topic: string,
  extra: { name?: string; topics?: Record<string, unknown>; action?: Record<string, unknown> } = {},
) {
  const created = expectStatus(
    await t.api('/api/v1/integrations', {
      token,
      body: {
        type: 'mqtt',
        name: extra.name ?? `broker ${Math.random().toString(36).slice(2, 8)}`,
        config: { broker: { reconnect_min_ms: 200, reconnect_max_ms: 2000, ...broker }, topics: extra.topics ?? {} },
      },
    }),
    201,
  );
  const sub = expectStatus(
    await t.api(`/api/v1/integrations/${created.body.id}/subscriptions`, {
      token,
      body: { name: 'telemetry', topic, actions: [{ type: 'ingest', ...(extra.action ?? {}) }] },
    }),
    201,
  );
  return { id: created.body.id as string, subId: sub.body.id as string, created: created.body };
}

/** Polls the connection status until `check` accepts it. */
export async function statusUntil(
  t: TestApp,
  token: string,
  id: string,
  check: (s: Record<string, unknown>) => boolean,
  what: string,
  timeoutMs = 15_000,
) {
  return waitFor(
    async () => {
      const r = await t.api(`/api/v1/integrations/${id}/status`, { token });
      return r.status === 200 && check(r.body) ? r.body : null;
    },
    what,
    timeoutMs,
  );
}

/** The app on a data dir the test keeps (to stop and start it again), with an admin token. */
export async function openApp(dataDir: string, env: Record<string, string> = {}) {
  const config = configFrom({
    FIELDLINE_HTTP_HOST: '127.0.0.1',
    FIELDLINE_HTTP_PORT: '0',
    FIELDLINE_MQTT_PORT: '0',
    FIELDLINE_DATA_DIR: dataDir,
    FIELDLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    FIELDLINE_LOG_LEVEL: process.env.FIELDLINE_TEST_LOG ?? 'silent',
    ...env,
  });
  const app: App = await createApp(config, { logger: createLogger(config.logLevel) });
  const { httpUrl } = await app.start();
  const login = await apiCall(httpUrl, '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  const token: string = login.body.access_token;
  const api = (path: string, init: ApiInit = {}) => apiCall(httpUrl, path, { token, ...init });
  return { app, api, token, config };
}
