import { describe, expect, it } from 'vitest';
import { TopicScheme } from './topics.js';

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
