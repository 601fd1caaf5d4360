import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRef, DeviceRegistry } from '../../src/devices/index.js';
import { createLogger } from '../../src/kernel/index.js';
import {
  bridgeFilters,
  ExternalBrokerBridge,
  type MqttMessageRouter,
  nodeClientId,
  TopicScheme,
} from '../../src/mqtt/index.js';
import type { IngestService } from '../../src/telemetry/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { serviceUrl, unlessSet } from '../helpers/services.js';

const brokerUrl = serviceUrl('FIELDLINE_TEST_MQTT_URL');
const silent = createLogger('silent');
const unique = () => randomBytes(5).toString('hex');

/** Ends a bridge's persistent session on the broker (clean start, no expiry), so a run leaves nothing queued. */
async function forgetSession(url: string, clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(url, {
    clientId,
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
  });
  await c.endAsync();
}

describe.skipIf(!brokerUrl)(
  `external broker mode (FIELDLINE_MQTT_URL)${unlessSet('FIELDLINE_TEST_MQTT_URL', brokerUrl)}`,
  () => {
    const url = brokerUrl as string;
    // A prefix of our own: runs (and other suites) sharing this broker never see each other's messages.
    const prefix = `fltest-${unique()}`;
    let t: TestApp;
    const clients: MqttClient[] = [];
    const bridges: ExternalBrokerBridge[] = [];
    const sessions: string[] = [];

    const device = async (id: string) => {
      const r = await t.api('/api/v1/devices', { token: t.adminToken, body: { id, name: id } });
      expect(r.status, r.text).toBe(201);
    };
    /** A device as the external broker sees it: Fieldline holds no connection of its own to it. */
    const plainClient = async () => {
      const c = await mqtt.connectAsync(url, { clientId: `fltest-dev-${unique()}`, reconnectPeriod: 0 });
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      t = await startTestApp({ FIELDLINE_MQTT_URL: url, FIELDLINE_TOPIC_PREFIX: prefix });
      sessions.push(nodeClientId(t.dataDir));
      await t.app.bridge?.ready();
      for (const id of ['ext-1', 'ext-cmd', 'ext-split']) await device(id);
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    });
    afterAll(async () => {
      await Promise.all(bridges.map((b) => b.stop()));
      await t?.close();
      for (const id of sessions) await forgetSession(url, id);
    });

    it('runs without the embedded broker and reports the external one in /health', async () => {
      expect(t.app.broker).toBeNull();
      const health = await t.api('/health');
      expect(health.status).toBe(200);
      expect(health.body.mqtt).toMatchObject({
        status: 'up',
        mode: 'external',
        url: new URL(url).toString(),
        share_group: prefix,
      });
    });

    it('stores telemetry a device publishes on the external broker', async () => {
      const c = await plainClient();
      await c.publishAsync(`${prefix}/devices/ext-1/telemetry`, JSON.stringify({ temperature: 21.5 }), { qos: 1 });
      await expect
        .poll(async () => (await t.api('/api/v1/telemetry/ext-1/latest', { token: t.adminToken })).body.values)
        .toMatchObject({ temperature: { value: 21.5 } });
    });

    it('refuses, with a counter, messages naming a device Fieldline does not know', async () => {
      const before = t.app.bridge?.stats.refusedUnknownDevice ?? 0;
      const c = await plainClient();
      await c.publishAsync(`${prefix}/devices/nobody/telemetry`, JSON.stringify({ temperature: 1 }), { qos: 1 });
      await expect.poll(() => t.app.bridge?.stats.refusedUnknownDevice).toBe(before + 1);
      expect(t.app.ingest.counters.refused.get('unknown_device')).toBeGreaterThan(0);
    });

    it('sends commands through the external broker and records the answer', async () => {
      const c = await plainClient();
      c.on('message', (topic, payload) => {
        const { name } = JSON.parse(payload.toString());
        c.publish(`${topic}/response`, JSON.stringify({ status: 'ok', result: `did ${name}` }), { qos: 1 });
      });
      await c.subscribeAsync(`${prefix}/devices/ext-cmd/commands/+`, { qos: 1 });
      // Fieldline sees no connections on a foreign broker: the device announces itself.
      await c.publishAsync(`${prefix}/devices/ext-cmd/status`, JSON.stringify({ status: 'online' }), { qos: 1 });
      await expect
        .poll(async () => (await t.api('/api/v1/devices/ext-cmd', { token: t.adminToken })).body.status)
        .toBe('online');
      const created = await t.api('/api/v1/devices/ext-cmd/commands', {
        token: t.adminToken,
        body: { name: 'flush' },
      });
      expect(created.status, created.text).toBe(201);
      await expect
        .poll(
          async () =>
            (await t.api(`/api/v1/devices/ext-cmd/commands/${created.body.id}`, { token: t.adminToken })).body,
          { timeout: 5000 },
        )
        .toMatchObject({ status: 'succeeded', family: 'native', response: 'did flush' });
    });

    it('splits the messages between the nodes of one share group', async () => {
      // The group is the installation's topic prefix: `$share/fieldline/fieldline/...` by default.
      expect(bridgeFilters(t.app.topics, prefix, true)).toEqual([
        `$share/${prefix}/${prefix}/devices/+/telemetry`,
        `$share/${prefix}/${prefix}/devices/+/status`,
        `$share/${prefix}/${prefix}/devices/+/commands/+/response`,
        `$share/${prefix}/spBv1.0/#`,
      ]);
      // A second Fieldline node on the same database: same router, its own client id.
      const secondId = `fltest-node-b-${unique()}`;
      sessions.push(secondId);
      const second = new ExternalBrokerBridge(
        { url, clientId: secondId, sessionExpiryS: 60 },
        t.app.topics,
        t.app.mqttRouter,
        t.app.devices,
        t.app.ingest,
        silent,
      );
      bridges.push(second);
      await second.start();
      await second.ready();
      const first = t.app.bridge as ExternalBrokerBridge;
      const before = { first: first.stats.messagesIn, second: second.stats.messagesIn };

      const n = 40;
      const c = await plainClient();
      const t0 = Date.UTC(2026, 0, 1);
      for (let i = 0; i < n; i++) {
        await c.publishAsync(
          `${prefix}/devices/ext-split/telemetry`,
          JSON.stringify({ ts: t0 + i * 1000, values: { seq: i } }),
          { qos: 1 },
        );
      }
      const stored = async () =>
        (
          await t.api(`/api/v1/telemetry/ext-split?keys=seq&start=${t0}&end=${t0 + n * 1000}`, {
            token: t.adminToken,
          })
        ).body.series.seq?.length ?? 0;
      await expect.poll(stored, { timeout: 10_000 }).toBe(n);
      const got = {
        first: first.stats.messagesIn - before.first,
        second: second.stats.messagesIn - before.second,
      };
      expect(got.first).toBeGreaterThan(0);
      expect(got.second).toBeGreaterThan(0);
      expect(got.first + got.second).toBe(n);
    });
  },
);

describe.skipIf(!brokerUrl)(
  `external broker acknowledgements${unlessSet('FIELDLINE_TEST_MQTT_URL', brokerUrl)}`,
  () => {
    const url = brokerUrl as string;
    let bridge: ExternalBrokerBridge;
    let publisher: MqttClient;
    const topics = new TopicScheme(`fltest-ack-${unique()}`);
    const clientId = `fltest-ack-${unique()}`;
    const calls: string[] = [];
    let failNext = true;

    beforeAll(async () => {
      const ref: DeviceRef = {
        id: 'ack-dev',
        organizationId: 'org',
        name: 'ack-dev',
        deviceType: 'generic',
        active: true,
        inactivityTimeoutS: null,
      };
      // The router stands in for storage: its first commit fails.
      const router = {
        route: async (_identity: unknown, _topic: string, payload: Buffer) => {
          calls.push(payload.toString());
          if (failNext) {
            failNext = false;
            throw new Error('database is down');
          }
          return { forwardTopic: null, deviceId: 'ack-dev' };
        },
      } as unknown as MqttMessageRouter;
      const registry = { byDeviceId: async () => ref } as unknown as DeviceRegistry;
      const ingest = { refuse: () => undefined } as unknown as IngestService;
      bridge = new ExternalBrokerBridge(
        { url, clientId, reconnectMs: 100, sessionExpiryS: 60 },
        topics,
        router,
        registry,
        ingest,
        silent,
      );
      await bridge.start();
      await bridge.ready();
      publisher = await mqtt.connectAsync(url, { clientId: `fltest-pub-${unique()}`, reconnectPeriod: 0 });
    });
    afterAll(async () => {
      await publisher?.endAsync(true);
      await bridge?.stop();
      await forgetSession(url, clientId);
    });

    it('leaves a message whose commit failed unacknowledged, and the broker delivers it again', async () => {
      await publisher.publishAsync(topics.telemetry('ack-dev'), '{"v":1}', { qos: 1 });
      await expect.poll(() => calls, { timeout: 10_000 }).toEqual(['{"v":1}', '{"v":1}']);
      expect(bridge.stats.unacknowledged).toBe(1);
      await expect.poll(() => bridge.health().status).toBe('up');
    });
  },
);

describe('external broker mode with the broker down', () => {
  it('starts anyway, reports mqtt down (503) without the password, and keeps retrying', async () => {
    const t = await startTestApp({ FIELDLINE_MQTT_URL: 'mqtt://fieldline:s3cret@127.0.0.1:9' });
    try {
      const health = await t.api('/health');
      expect(health.status).toBe(503);
      expect(health.body.mqtt).toMatchObject({
        status: 'down',
        mode: 'external',
        url: 'mqtt://fieldline:***@127.0.0.1:9',
      });
      expect(health.text).not.toContain('s3cret');
    } finally {
      await t.close();
    }
  });
});
