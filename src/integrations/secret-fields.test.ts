import { describe, expect, it } from 'vitest';
import { FieldlineError } from '../kernel/index.js';
import { configProblems, normalizeConfig } from './config-schemas.js';
import { joinSecrets, MASK, maskSecrets, mergePatch, splitSecrets } from './secret-fields.js';

describe('integration secrets', () => {
  const mqtt = {
    broker: { host: 'broker.site', port: 8883, use_tls: true, username: 'plant', password: 'pw-1', client_key: 'KEY' },
    topics: { prefix: 'p' },
  };

  it('splits secrets out, masks them, and joins them back', () => {
    const { shown, secrets } = splitSecrets('mqtt', mqtt);
    expect(JSON.stringify(shown)).not.toContain('pw-1');
    expect(JSON.stringify(shown)).not.toContain('KEY');
    expect(secrets).toEqual({ broker: { password: 'pw-1', client_key: 'KEY' } });
    expect(maskSecrets(shown, secrets)).toEqual({
      ...mqtt,
      broker: { ...mqtt.broker, password: MASK, client_key: MASK },
    });
    expect(joinSecrets(shown, secrets)).toEqual(mqtt);
  });

  it('treats every webhook header value and the auth secret as secret; names stay visible', () => {
    const hook = { url: 'https://x.example', headers: { 'X-Token': 't1' }, auth: { type: 'bearer', token: 'b1' } };
    const { shown, secrets } = splitSecrets('webhook', hook);
    expect(maskSecrets(shown, secrets)).toEqual({
      url: 'https://x.example',
      headers: { 'X-Token': MASK },
      auth: { type: 'bearer', token: MASK },
    });
  });

  it('merges patches: *** keeps, null removes, objects merge, a payload template is replaced whole', () => {
    const merged = mergePatch(mqtt, { broker: { password: MASK, port: 8884, client_key: null } });
    expect(merged.broker).toEqual({
      host: 'broker.site',
      port: 8884,
      use_tls: true,
      username: 'plant',
      password: 'pw-1',
    });
    expect(() => mergePatch({}, { broker: { password: MASK } })).toThrow(FieldlineError);
    expect(mergePatch({ payload_template: { a: 1, b: 2 } }, { payload_template: { c: null } })).toEqual({
      payload_template: { c: null },
    });
  });

  it('moves credentials out of a broker URL and normalizes protocol versions', () => {
    const n = normalizeConfig('mqtt', {
      broker: { url: 'mqtts://u%40x:p%3Aw@h.example:8883', protocol_version: '3.1.1' },
    });
    expect(n).toEqual({
      broker: { url: 'mqtts://h.example:8883', username: 'u@x', password: 'p:w', protocol_version: 4 },
    });
    expect(configProblems('mqtt', n)).toEqual([]);
  });

  it('names the field of every configuration problem', () => {
    const fields = (c: unknown) => configProblems('mqtt', c).map((p) => p.field);
    expect(fields({ broker: {} })).toContain('config.broker.host');
    expect(fields({ broker: { host: 'h', port: 70000 } })).toContain('config.broker.port');
    expect(fields({ broker: { host: 'h', extra: 1 } })).toContain('config.broker');
    expect(fields({ broker: { url: 'http://h' } })).toContain('config.broker.url');
    expect(fields({ broker: { host: 'h' }, topics: { use_shared: true } })).toContain('config.topics.shared_group');
    expect(fields({ broker: { host: 'h' }, topics: { pattern: 'a/#/b' } })).toContain('config.topics.pattern');
    expect(configProblems('golioth', { project_id: 'p', api_url: 'ftp://x' }).map((p) => p.field)).toContain(
      'config.api_url',
    );
    expect(configProblems('webhook', { url: 'https://x', headers: { Host: 'x' } }).length).toBeGreaterThan(0);
  });
});
