import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFrom, loadConfig } from './config.js';

describe('config', () => {
  it('gives a new user the documented defaults', () => {
    const c = configFrom({}, '/srv/fl');
    expect(c).toMatchObject({
      httpPort: 8080,
      mqttPort: 1883,
      dataDir: '/srv/fl/data',
      databaseUrl: null,
      redisUrl: null,
      mqttUrl: null,
      topicPrefix: 'fieldline',
      secretKey: null,
      adminUsername: 'admin',
      adminPassword: null,
      smtpUrl: null,
      logLevel: 'info',
      httpBodyLimit: 1_048_576,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every invalid variable at once, without echoing secrets', () => {
    let error: unknown;
    try {
      configFrom({
        FIELDLINE_HTTP_PORT: 'eighty',
        FIELDLINE_MQTT_PORT: '70000',
        FIELDLINE_DATABASE_URL: 'mysql://root:hunter22@db/x',
        FIELDLINE_LOG_LEVEL: 'loud',
        FIELDLINE_SECRET_KEY: 'short-secret',
        FIELDLINE_TOPIC_PREFIX: 'a/b',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(6);
    const text = (error as Error).message;
    for (const name of [
      'FIELDLINE_HTTP_PORT',
      'FIELDLINE_MQTT_PORT',
      'FIELDLINE_DATABASE_URL',
      'FIELDLINE_LOG_LEVEL',
      'FIELDLINE_SECRET_KEY',
      'FIELDLINE_TOPIC_PREFIX',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('short-secret');
  });

  it('accepts PostgreSQL, Redis and external broker URLs', () => {
    const c = configFrom({
      FIELDLINE_DATABASE_URL: 'postgres://fl@db:5432/fl',
      FIELDLINE_REDIS_URL: 'redis://cache:6379',
      FIELDLINE_MQTT_URL: 'mqtts://broker:8883',
      FIELDLINE_WEBHOOK_ALLOW: '10.0.0.0/8, 192.168.1.0/24',
    });
    expect(c.databaseUrl).toBe('postgres://fl@db:5432/fl');
    expect(c.webhookAllow).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
  });

  it('reads a .env file, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-config-'));
    writeFileSync(join(dir, '.env'), 'FIELDLINE_HTTP_PORT=9000\nFIELDLINE_TOPIC_PREFIX=plant\n');
    const c = loadConfig({ cwd: dir, env: { FIELDLINE_HTTP_PORT: '9100' } });
    expect(c.httpPort).toBe(9100);
    expect(c.topicPrefix).toBe('plant');
  });

  it('needs both TLS files for MQTTS', () => {
    expect(() => configFrom({ FIELDLINE_MQTTS_PORT: '8883' })).toThrow(/FIELDLINE_MQTTS_PORT: needs/);
  });
});
