import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { configFrom } from '../src/config.js';
import { outboxSecretContext } from '../src/notify/dispatcher.js';
import { ruleSecretContext } from '../src/rules/index.js';
import { Keyring, SecretBox } from '../src/secrets/index.js';
import { rotateSecrets } from '../src/secrets/rotate-command.js';
import { openApp, TestBroker } from './helpers/integrations.js';

const K1 = 'first-secret-key-of-this-installation-000000';
const K2 = 'second-secret-key-after-the-rotation-1111111';
const K3 = 'a-key-nobody-sealed-anything-with-22222222222';
const MQTT_PASSWORD = 'rotating-broker-password';
const SMTP_PASSWORD = 'rotating-smtp-password';
const HOOK_TOKEN = 'rotating-webhook-token';

const open = openApp;

const sealedValues = async (app: App) => {
  const db = app.storage.db;
  return [
    ...(await db.selectFrom('integrations').select('secrets as v').execute()),
    ...(await db.selectFrom('notification_settings').select('smtp_password as v').execute()),
    ...(await db.selectFrom('notification_settings').select('signing_secret as v').execute()),
    ...(await db.selectFrom('notification_outbox').select('target_secret as v').execute()),
    ...(await db.selectFrom('rules').select('actions_secret as v').execute()),
  ]
    .map((r) => r.v)
    .filter((v): v is string => typeof v === 'string');
};

describe('fieldline secrets rotate', () => {
  const broker = new TestBroker({ plant: MQTT_PASSWORD });
  let dataDir: string;
  let integrationId: string;
  let orgId: string;
  let outboxId: string;
  let ruleId: string;

  beforeAll(async () => {
    await broker.start();
    dataDir = mkdtempSync(join(tmpdir(), 'fieldline-rotate-'));
    const { app, api } = await open(dataDir, { FIELDLINE_SECRET_KEY: K1 });
    try {
      const created = await api('/api/v1/integrations', {
        body: {
          type: 'mqtt',
          name: 'rotating',
          status: 'inactive',
          config: { broker: { url: broker.url, username: 'plant', password: MQTT_PASSWORD } },
        },
      });
      integrationId = created.body.id;
      orgId = (await api('/api/v1/me')).body.organization.id;
      await api('/api/v1/integrations', {
        body: {
          type: 'webhook',
          name: 'hook',
          config: { url: 'https://hooks.example.com/x', auth: { type: 'bearer', token: HOOK_TOKEN } },
        },
      });
      await app.notifications.settings.update(orgId, {
        smtp: {
          host: 'smtp.example.com',
          port: 587,
          secure: false,
          require_tls: true,
          username: 'u',
          from_address: 'a@example.com',
          from_name: null,
          password: SMTP_PASSWORD,
        },
      });
      await app.notifications.settings.rotateSigningSecret(orgId);
      const queued = await app.notifications.notifier.enqueue({
        organizationId: orgId,
        channel: 'webhook',
        target: { url: 'https://hooks.example.com/y', auth: { type: 'bearer', token: HOOK_TOKEN } },
        content: { kind: 'message', subject: 's', message: 'm', severity: 'info', at: Date.now() },
      });
      outboxId = queued.id;
      const rule = await api('/api/v1/rules', {
        body: {
          name: 'Hot',
          rule_type: 'threshold',
          conditions: { key: 'temperature', operator: '>', value: 25 },
          actions: [
            { type: 'webhook', url: 'https://hooks.example.com/r', auth: { type: 'bearer', token: HOOK_TOKEN } },
          ],
          severity: 'warning',
        },
      });
      expect(rule.status, rule.text).toBe(201);
      ruleId = rule.body.id;
      const values = await sealedValues(app);
      expect(values.length).toBe(6);
      const k1 = SecretBox.forCredentials(new Keyring(K1)).currentKeyId;
      for (const v of values) expect(SecretBox.keyIdOf(v)).toBe(k1);
    } finally {
      await app.stop();
    }
  });

  afterAll(async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('re-encrypts every stored credential under the new key, and the owners open them with it alone', async () => {
    const rotateConfig = configFrom({
      FIELDLINE_DATA_DIR: dataDir,
      FIELDLINE_SECRET_KEY: K2,
      FIELDLINE_SECRET_KEY_PREVIOUS: K1,
    });
    const dry = await rotateSecrets(rotateConfig, { dryRun: true });
    expect(dry.reports.reduce((n, r) => n + r.resealed, 0)).toBe(6);
    const result = await rotateSecrets(rotateConfig);
    expect(result.reports.map((r) => [r.column, r.resealed, r.failed.length])).toEqual([
      ['notification_settings.smtp_password', 1, 0],
      ['notification_settings.signing_secret', 1, 0],
      ['notification_outbox.target_secret', 1, 0],
      ['rules.actions_secret', 1, 0],
      ['integrations.secrets', 2, 0],
    ]);
    const again = await rotateSecrets(rotateConfig);
    expect(again.reports.every((r) => r.resealed === 0 && r.current > 0)).toBe(true);

    // The new key alone: no previous key configured.
    const { app, api } = await open(dataDir, { FIELDLINE_SECRET_KEY: K2 });
    try {
      const k2 = SecretBox.forCredentials(new Keyring(K2)).currentKeyId;
      for (const v of await sealedValues(app)) expect(SecretBox.keyIdOf(v)).toBe(k2);
      const test = await api(`/api/v1/integrations/${integrationId}/test`, { body: {} });
      expect(test.body).toMatchObject({ status: 'success' });
      expect((await app.notifications.settings.smtpOf(orgId))?.password).toBe(SMTP_PASSWORD);
      const row = await app.storage.db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('id', '=', outboxId)
        .executeTakeFirstOrThrow();
      const box = SecretBox.forCredentials(new Keyring(K2));
      expect(JSON.parse(box.open(row.target_secret as string, outboxSecretContext(orgId, outboxId)))).toMatchObject({
        auth: { token: HOOK_TOKEN },
      });
      const rule = await api(`/api/v1/rules/${ruleId}`);
      expect(rule.status, rule.text).toBe(200);
      const ruleRow = await app.storage.db
        .selectFrom('rules')
        .selectAll()
        .where('id', '=', ruleId)
        .executeTakeFirstOrThrow();
      expect(box.open(ruleRow.actions_secret as string, ruleSecretContext(ruleId))).toContain(HOOK_TOKEN);
      const listed = await api('/api/v1/integrations');
      expect(listed.text).not.toContain(MQTT_PASSWORD);
    } finally {
      await app.stop();
    }
  });

  it('reports values no key opens and leaves them as they are', async () => {
    const before = await (async () => {
      const { app } = await open(dataDir, { FIELDLINE_SECRET_KEY: K2 });
      try {
        return await sealedValues(app);
      } finally {
        await app.stop();
      }
    })();
    const result = await rotateSecrets(configFrom({ FIELDLINE_DATA_DIR: dataDir, FIELDLINE_SECRET_KEY: K3 }));
    expect(result.reports.reduce((n, r) => n + r.failed.length, 0)).toBe(6);
    expect(result.reports[0]?.failed[0]?.error).toMatch(/does not hold/);
    const { app } = await open(dataDir, { FIELDLINE_SECRET_KEY: K2 });
    try {
      expect(await sealedValues(app)).toEqual(before);
    } finally {
      await app.stop();
    }
  });

  it('replaces a generated data-dir key with --generate-key and keeps the old one aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldline-rotate-file-'));
    try {
      const first = await open(dir, {});
      await first.api('/api/v1/integrations', {
        body: {
          type: 'mqtt',
          name: 'file-key',
          status: 'inactive',
          config: { broker: { url: broker.url, username: 'plant', password: MQTT_PASSWORD } },
        },
      });
      await first.app.stop();
      const oldKey = readFileSync(join(dir, 'secret.key'), 'utf8');
      await expect(
        rotateSecrets(configFrom({ FIELDLINE_DATA_DIR: dir, FIELDLINE_SECRET_KEY: K1 }), { generateKey: true }),
      ).rejects.toThrow(/FIELDLINE_SECRET_KEY_PREVIOUS/);
      const result = await rotateSecrets(configFrom({ FIELDLINE_DATA_DIR: dir }), { generateKey: true });
      expect(result.reports.find((r) => r.column === 'integrations.secrets')).toMatchObject({
        resealed: 1,
        failed: [],
      });
      const newKey = readFileSync(join(dir, 'secret.key'), 'utf8');
      expect(newKey).not.toBe(oldKey);
      expect(existsSync(join(dir, 'secret.key.new'))).toBe(false);
      const kept = readdirSync(dir).filter((f) => f.startsWith('secret.key.old-'));
      expect(kept.length).toBe(1);
      expect(readFileSync(join(dir, kept[0] as string), 'utf8')).toBe(oldKey);
      const second = await open(dir, {});
      try {
        const row = (await second.api('/api/v1/integrations')).body.items[0];
        const test = await second.api(`/api/v1/integrations/${row.id}/test`, { body: {} });
        expect(test.body).toMatchObject({ status: 'success' });
      } finally {
        await second.app.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
