import { describe, expect, it } from 'vitest';
import { attributesAnswer, decodeAttributesRequest } from './thingsboard-attributes-request.js';

describe('ThingsBoard attribute requests', () => {
  const client = { firmware: '1.2', serial: 'A7' };
  const shared = { setpoint: 21, mode: 'eco' };
  const answer = (payload: string) => {
    const request = decodeAttributesRequest(payload);
    if (!request.ok) throw new Error(request.detail);
    return attributesAnswer(request, client, shared);
  };

  it('answers the keys asked for, in the scopes asked for', () => {
    expect(answer('{"clientKeys":"firmware,missing","sharedKeys":"setpoint"}')).toEqual({
      client: { firmware: '1.2' },
      shared: { setpoint: 21 },
    });
    expect(answer('{"sharedKeys":["mode"]}')).toEqual({ shared: { mode: 'eco' } });
    expect(answer('{"clientKeys":" serial , "}')).toEqual({ client: { serial: 'A7' } });
  });

  it('answers everything when no scope is named', () => {
    expect(answer('{}')).toEqual({ client, shared });
    expect(answer('')).toEqual({ client, shared });
  });

  it('refuses what is not a request, saying why', () => {
    expect(decodeAttributesRequest('{"clientKeys":')).toMatchObject({ ok: false, reason: 'malformed_json' });
    expect(decodeAttributesRequest('[1]')).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(decodeAttributesRequest('{"clientKeys":5}')).toMatchObject({
      ok: false,
      detail: 'clientKeys must be a comma-separated string or an array of strings',
    });
  });

  it('does not answer inherited properties for a key named after one', () => {
    expect(answer('{"clientKeys":"toString,__proto__"}')).toEqual({ client: {} });
  });
});
