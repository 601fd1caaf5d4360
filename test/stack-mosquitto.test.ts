import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackBuilder, type StackBundle } from '../src/stack/index.js';

/** A free loopback port (never 1883: the machine's own broker is there). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
}

const env = (b: StackBundle) =>
  Object.fromEntries(
    b.files
      .find((f) => f.path === '.env')!
      .content.split('\n')
      .filter((l) => /^[A-Z0-9_]+='/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 2, -1)]),
  );

let mosquittoBin: string | null = null;
try {
  mosquittoBin =
    execFileSync('sh', ['-c', 'command -v mosquitto || ls /usr/sbin/mosquitto'], { encoding: 'utf8' }).trim() || null;
} catch {
  mosquittoBin = null;
}
if (!mosquittoBin && process.env.CI === 'true') throw new Error('mosquitto is missing (Debian package mosquitto)');

describe.skipIf(!mosquittoBin)('generated Mosquitto configuration in a real mosquitto', () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let bundle: StackBundle;
  const ports = { mqtt: 0, ws: 0, tls: 0 };

  beforeAll(async () => {
    bundle = await new StackBuilder().generate({
      instances: [{ appId: 'mosquitto' }, { appId: 'fieldline' }, { appId: 'telegraf' }],
      settings: { mqtt: { enable_tls: true, username: 'plant' } },
    });
    dir = mkdtempSync(join(tmpdir(), 'fieldline-stack-mosquitto-'));
    chmodSync(dir, 0o755); // mosquitto started as root drops to its own user, which must read the files
    for (const f of bundle.files.filter((x) => x.path.startsWith('configs/mosquitto/'))) {
      const path = join(dir, f.path.replace('configs/mosquitto/', 'config/'));
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      writeFileSync(path, f.content);
      chmodSync(path, 0o644);
    }
    mkdirSync(join(dir, 'data'), { mode: 0o777 });
    chmodSync(join(dir, 'data'), 0o777);
    ports.mqtt = await freePort();
    ports.ws = await freePort();
    ports.tls = await freePort();
    // The generated file as is, except container paths and ports, which become the test's.
    const conf = bundle.files
      .find((f) => f.path === 'configs/mosquitto/mosquitto.conf')!
      .content.replaceAll('/mosquitto/config/', `${dir}/config/`)
      .replaceAll('/mosquitto/data/', `${dir}/data/`)
      .replace(/^listener 1883$/m, `listener ${ports.mqtt} 127.0.0.1`)
      .replace(/^listener 9001$/m, `listener ${ports.ws} 127.0.0.1`)
      .replace(/^listener 8883$/m, `listener ${ports.tls} 127.0.0.1`);
    writeFileSync(join(dir, 'mosquitto.conf'), conf);
    chmodSync(join(dir, 'mosquitto.conf'), 0o644);
    child = spawn(mosquittoBin!, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    await waitForPort(ports.tls, child, () => output);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const connect = (url: string, options: mqtt.IClientOptions) =>
    mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });

  it('lets the generated user in with the password from .env', async () => {
    const client = await connect(`mqtt://127.0.0.1:${ports.mqtt}`, {
      username: 'plant',
      password: env(bundle).MQTT_PASSWORD,
    });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('lets each service in with its own password, and enforces the ACL (Telegraf may only read)', async () => {
    const e = env(bundle);
    const fieldline = await connect(`mqtt://127.0.0.1:${ports.mqtt}`, {
      username: 'fieldline',
      password: e.FIELDLINE_MQTT_PASSWORD,
    });
    const telegraf = await connect(`mqtt://127.0.0.1:${ports.mqtt}`, {
      username: 'telegraf',
      password: e.TELEGRAF_MQTT_PASSWORD,
    });
    const seen: string[] = [];
    fieldline.on('message', (topic) => seen.push(topic));
    await fieldline.subscribeAsync('test/#', { qos: 1 });
    await telegraf.publishAsync('test/from-telegraf', 'x', { qos: 1 });
    await fieldline.publishAsync('test/from-fieldline', 'x', { qos: 1 });
    for (let i = 0; i < 50 && !seen.includes('test/from-fieldline'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['test/from-fieldline']);
    await fieldline.endAsync();
    await telegraf.endAsync();
  });

  it('refuses a wrong password and anonymous clients', async () => {
    await expect(
      connect(`mqtt://127.0.0.1:${ports.mqtt}`, { username: 'plant', password: 'wrong-password-123' }),
    ).rejects.toThrow(/Not authorized|Bad username or password/);
    await expect(connect(`mqtt://127.0.0.1:${ports.mqtt}`, {})).rejects.toThrow(
      /Not authorized|Bad username or password/,
    );
  });

  it('accepts TLS from a client that trusts the generated CA, and refuses one that does not', async () => {
    const ca = bundle.files.find((f) => f.path === 'tls/ca.crt')!.content;
    const client = await connect(`mqtts://127.0.0.1:${ports.tls}`, {
      username: 'plant',
      password: env(bundle).MQTT_PASSWORD,
      ca,
      rejectUnauthorized: true,
    });
    expect(client.connected).toBe(true);
    await client.endAsync();
    await expect(
      connect(`mqtts://127.0.0.1:${ports.tls}`, {
        username: 'plant',
        password: env(bundle).MQTT_PASSWORD,
        rejectUnauthorized: true,
      }),
    ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });
});
