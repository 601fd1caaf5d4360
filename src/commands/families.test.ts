import { describe, expect, it } from 'vitest';
import { familyOf, readNativeAnswer, readThingsBoardAnswer, rpcRequestId, sparkplugWrites } from './families.js';

describe('command families', () => {
  it('sends over the family the device speaks, native when unknown', () => {
    expect(familyOf(null)).toBe('native');
    expect(familyOf('thingsboard')).toBe('thingsboard');
    expect(familyOf('sparkplug')).toBe('sparkplug');
    expect(familyOf('something-else')).toBe('native');
  });

  it('reads native answers: the status envelope, any JSON, or text', () => {
    expect(readNativeAnswer('{"status":"ok","result":{"t":1}}')).toEqual({
      status: 'succeeded',
      response: { t: 1 },
      error: null,
    });
    expect(readNativeAnswer('{"status":"error","error":"busy"}')).toEqual({
      status: 'failed',
      response: null,
      error: 'busy',
    });
    expect(readNativeAnswer('{"status":"error","error":{"code":7}}').error).toBe('{"code":7}');
    expect(readNativeAnswer('{"status":"error"}').error).toBe('the device reported an error');
    expect(readNativeAnswer('[1,2]')).toEqual({ status: 'succeeded', response: [1, 2], error: null });
    expect(readNativeAnswer('{"status":"running"}').response).toEqual({ status: 'running' });
    expect(readNativeAnswer(Buffer.from('done'))).toEqual({ status: 'succeeded', response: 'done', error: null });
    expect(readNativeAnswer('').response).toBeNull();
  });

  it('takes any ThingsBoard RPC answer as success', () => {
    expect(readThingsBoardAnswer(5, '{"ok":false}')).toEqual({
      status: 'succeeded',
      response: { ok: false },
      error: null,
    });
    expect(readThingsBoardAnswer(5, 'plain')).toMatchObject({ status: 'succeeded', response: 'plain' });
  });

  it('maps a command id to a stable positive 31-bit ThingsBoard request id', () => {
    const id = '01934f6e-8a1b-7c3d-9e4f-123456789abc';
    expect(rpcRequestId(id)).toBe(rpcRequestId(id));
    const ids = Array.from({ length: 2000 }, (_, i) => rpcRequestId(`${id}-${i}`));
    for (const n of ids) {
      expect(Number.isInteger(n) && n > 0 && n <= 0x7fffffff).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('turns Sparkplug commands into metric writes', () => {
    expect(sparkplugWrites('Outputs/Valve', { value: true })).toEqual({
      ok: true,
      writes: [{ metric: 'Outputs/Valve', value: true }],
    });
    expect(sparkplugWrites('batch', { metrics: { A: 1, B: 'x' } })).toEqual({
      ok: true,
      writes: [
        { metric: 'A', value: 1 },
        { metric: 'B', value: 'x' },
      ],
    });
    expect(sparkplugWrites('x', {}).ok).toBe(false);
    expect(sparkplugWrites('x', { value: [1] }).ok).toBe(false);
    expect(sparkplugWrites('x', { metrics: { A: null } }).ok).toBe(false);
    expect(sparkplugWrites('x', { metrics: {} }).ok).toBe(false);
  });
});
