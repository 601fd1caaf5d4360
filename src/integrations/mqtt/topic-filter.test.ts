import { describe, expect, it } from 'vitest';
import {
  compileTopic,
  fillTemplate,
  joinTopic,
  sharedFilter,
  TopicPatternError,
  topicNameProblem,
} from './topic-filter.js';

describe('topic patterns', () => {
  it("joins the prefix and turns placeholders into + (the users' prefix/pattern shape)", () => {
    const t = compileTopic('/v3/applications', '{application_id}/business-events');
    expect(t.pattern).toBe('/v3/applications/{application_id}/business-events');
    expect(t.filter).toBe('/v3/applications/+/business-events');
    expect(t.placeholders).toEqual(['application_id']);
    expect(t.match('/v3/applications/app-7/business-events')).toEqual({ application_id: 'app-7' });
    expect(t.match('/v3/applications/app-7/other')).toBeNull();
    expect(t.match('v3/applications/app-7/business-events')).toBeNull();
    expect(sharedFilter('bre', t.filter)).toBe('$share/bre//v3/applications/+/business-events');
  });

  it('captures placeholders inside a level and keeps + and # semantics', () => {
    const t = compileTopic('', 'plant/{site}/dev-{device_id}/#');
    expect(t.filter).toBe('plant/+/+/#');
    expect(t.match('plant/north/dev-m1/telemetry/a')).toEqual({ site: 'north', device_id: 'm1' });
    expect(t.match('plant/north/dev-m1')).toEqual({ site: 'north', device_id: 'm1' });
    expect(t.match('plant/north/m1/x')).toBeNull();
    expect(compileTopic('', 'a/+/c').match('a/b/c')).toEqual({});
    expect(compileTopic('', 'a/+').match('a/b/c')).toBeNull();
  });

  it('does not let wildcards match $-topics at the first level [MQTT-4.7.2-1]', () => {
    expect(compileTopic('', '#').match('$SYS/broker/uptime')).toBeNull();
    expect(compileTopic('', '+/broker/uptime').match('$SYS/broker/uptime')).toBeNull();
    expect(compileTopic('', '$SYS/#').match('$SYS/broker/uptime')).toEqual({});
  });

  it('refuses filters MQTT or the placeholders cannot express', () => {
    for (const bad of ['a/#/b', 'a/b+/c', 'a/{x}/{x}', 'a/{bad-name}/c', 'a/{x', '$share/g/a', ''])
      expect(() => compileTopic('', bad), bad).toThrow(TopicPatternError);
  });

  it("fills templates from a message's values and names what is missing", () => {
    expect(fillTemplate('out/{site}/{device_id}', { site: 'n', device_id: 'd' })).toEqual({
      ok: true,
      text: 'out/n/d',
    });
    expect(fillTemplate('out/{site}', {})).toEqual({ ok: false, missing: 'site' });
    expect(joinTopic('pre/', '/x')).toBe('pre/x');
    expect(topicNameProblem('a/+/b')).toMatch(/wildcard|\+/);
    expect(topicNameProblem('a/b')).toBeNull();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the first delay up to the cap', async () => {
    const { backoffDelay } = await import('./connection.js');
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 30_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(1000, 1000, 30_000)).toBe(30_000);
  });
});
