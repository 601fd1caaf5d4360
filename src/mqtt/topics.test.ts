import { describe, expect, it } from 'vitest';
import { TopicScheme, topicMatches } from './topics.js';

describe('TopicScheme.parse', () => {
  const topics = new TopicScheme('fieldline');

  it('reads the native telemetry, status and command response topics', () => {
    expect(topics.parse('fieldline/devices/d-1/telemetry')).toEqual({
      family: 'native',
      kind: 'telemetry',
      deviceId: 'd-1',
    });
    expect(topics.parse('fieldline/devices/d-1/status')).toEqual({ family: 'native', kind: 'status', deviceId: 'd-1' });
    expect(topics.parse('fieldline/devices/d-1/commands/c-9/response')).toEqual({
      family: 'native',
      kind: 'command_response',
      deviceId: 'd-1',
      commandId: 'c-9',
    });
  });

  it('refuses native topics with a missing, empty or extra level', () => {
    for (const topic of [
      'fieldline/devices/d-1',
      'fieldline/devices//telemetry',
      'fieldline/devices/d-1/telemetry/more',
      'fieldline/devices/d-1/xtelemetry',
      'fieldline/devices/d-1/a/telemetry',
      'fieldline/devices/d-1/commands/c-9',
      'fieldline/devices/d-1/commands//response',
      'fieldline/devices/d-1/commands/c-9/response/more',
      'fieldline/devices/d-1/statuses',
    ]) {
      expect(topics.parse(topic), topic).toEqual({ family: 'unknown' });
    }
  });

  it('reads ThingsBoard and Sparkplug topics and nothing else', () => {
    expect(topics.parse('v1/devices/me/telemetry')).toEqual({ family: 'thingsboard', kind: 'telemetry' });
    expect(topics.parse('v1/devices/me/rpc/response/42')).toEqual({
      family: 'thingsboard',
      kind: 'rpc_response',
      requestId: '42',
    });
    expect(topics.parse('spBv1.0/g/NDATA/e')).toEqual({ family: 'sparkplug' });
    expect(topics.parse('other/devices/d-1/telemetry')).toEqual({ family: 'unknown' });
  });
});

describe('topicMatches', () => {
  it('matches + as one level and a last # as the rest, the parent level included', () => {
    expect(topicMatches('fieldline/devices/d-1/commands/+', 'fieldline/devices/d-1/commands/c-9')).toBe(true);
    expect(topicMatches('fieldline/devices/d-1/commands/+', 'fieldline/devices/d-1/commands/c-9/response')).toBe(false);
    expect(topicMatches('fieldline/devices/d-1/commands/+', 'fieldline/devices/d-1/commands')).toBe(false);
    expect(topicMatches('fieldline/devices/d-1/commands/#', 'fieldline/devices/d-1/commands')).toBe(true);
    expect(topicMatches('fieldline/devices/d-1/commands/#', 'fieldline/devices/d-1/commands/c-9/x')).toBe(true);
    expect(topicMatches('fieldline/devices/d-1/commands/c-9', 'fieldline/devices/d-1/commands/c-9')).toBe(true);
    expect(topicMatches('fieldline/devices/d-1/commands/c-9', 'fieldline/devices/d-1/commands/c-8')).toBe(false);
    expect(topicMatches('v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/request/17')).toBe(true);
    expect(topicMatches('spBv1.0/G/DCMD/E/#', 'spBv1.0/G/DCMD/E/Pump')).toBe(true);
    expect(topicMatches('spBv1.0/G/DCMD/E/#', 'spBv1.0/G/NCMD/E')).toBe(false);
    expect(topicMatches('#', 'a/b')).toBe(true);
    expect(topicMatches('a/#/b', 'a/x/b')).toBe(false);
  });

  it('keeps wildcards at the first level off $ topics [MQTT-4.7.2-1]', () => {
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('+/broker', '$SYS/broker')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/broker')).toBe(true);
  });
});
