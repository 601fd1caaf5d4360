import { describe, expect, it } from 'vitest';
import { bridgeFilters, nodeClientId, redactUrl } from './external-bridge.js';
import { TopicScheme } from './topics.js';

describe('external broker bridge', () => {
  it('subscribes to the device topic families through one share group', () => {
    const topics = new TopicScheme('plant');
    expect(bridgeFilters(topics, 'fieldline', false)).toEqual([
      '$share/fieldline/plant/devices/+/telemetry',
      '$share/fieldline/plant/devices/+/status',
      '$share/fieldline/plant/devices/+/commands/+/response',
    ]);
    // Only one connection per node takes Sparkplug, so an edge node's messages stay in order on that node.
    expect(bridgeFilters(topics, 'g', true)).toContain('$share/g/spBv1.0/#');
    // Nothing from the ThingsBoard family: `v1/devices/me` does not say which device spoke.
    expect(bridgeFilters(topics, 'g', true).some((f) => f.includes('v1/devices/me'))).toBe(false);
  });

  it('never shows the broker password', () => {
    expect(redactUrl('mqtts://fieldline:s3cret@broker.plant:8883')).toBe('mqtts://fieldline:***@broker.plant:8883');
    expect(redactUrl('mqtt://broker:1883')).toBe('mqtt://broker:1883');
    expect(redactUrl('not a url')).not.toContain('not a url');
  });

  it('gives each node a stable client id of its own', () => {
    expect(nodeClientId('/var/lib/fieldline')).toBe(nodeClientId('/var/lib/fieldline'));
    expect(nodeClientId('/var/lib/fieldline')).not.toBe(nodeClientId('/srv/fieldline-2'));
    // [MQTT-3.1.3-5] 3.1.1 servers must accept 1–23 characters: stay inside that.
    expect(`${nodeClientId('/x')}-9`.length).toBeLessThanOrEqual(23);
  });
});
