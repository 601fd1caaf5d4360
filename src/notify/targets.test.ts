import { describe, expect, it } from 'vitest';
import { joinTarget, MASK, maskedTarget, splitTarget, targetProblems } from './targets.js';
import type { WebhookEndpoint } from './types.js';

describe('notification targets', () => {
  it('validates each channel and names the field', () => {
    expect(targetProblems('email', { recipients: ['ops@example.com'] })).toEqual([]);
    expect(targetProblems('email', { recipients: ['not-an-email'] })[0]?.field).toBe('target.recipients.0');
    expect(targetProblems('email', { recipients: [] })[0]?.field).toBe('target.recipients');
    expect(targetProblems('webhook', { url: 'https://x.example/', method: 'DELETE' }).length).toBeGreaterThan(0);
    expect(targetProblems('webhook', { integration_id: 'i-1' })).toEqual([]);
    expect(targetProblems('webhook', { url: 'https://x.example/', headers: { 'X-Fieldline-Signature': 'x' } })).toEqual(
      [{ field: 'target.headers.X-Fieldline-Signature', message: 'is set by Fieldline and cannot be overridden' }],
    );
    expect(targetProblems('webhook', { url: 'https://x.example/', headers: { 'X-A': 'a\r\nB: c' } })).toEqual([
      { field: 'target.headers.X-A', message: expect.stringMatching(/pattern/) },
    ]);
    expect(targetProblems('ntfy', { topic: 'plant/alerts' })[0]?.field).toBe('target.topic');
  });

  it('keeps secrets out of what is shown, and joins them back for sending', () => {
    const endpoint: WebhookEndpoint = {
      url: 'https://user:pw@hooks.example/x',
      method: 'PUT',
      headers: { 'X-Tenant': 'secret-tenant' },
      auth: { type: 'api_key', header: 'X-Key', key: 'k-123' },
      payload_template: { text: '{{message}}' },
    };
    const { shown, secret } = splitTarget({ channel: 'webhook', target: endpoint });
    expect(JSON.stringify(shown)).not.toMatch(/secret-tenant|k-123/);
    expect(joinTarget('webhook', shown, secret).target).toEqual(endpoint);
    const view = maskedTarget(shown, secret !== null);
    expect(view).toEqual({
      url: `https://user:${MASK}@hooks.example/x`,
      method: 'PUT',
      headers: { 'X-Tenant': MASK },
      auth: { type: 'api_key', header: 'X-Key', key: MASK },
      payload_template: { text: '{{message}}' },
    });
    const ntfy = splitTarget({ channel: 'ntfy', target: { topic: 'alerts', token: 'tk_1' } });
    expect(ntfy.shown).toEqual({ server: 'https://ntfy.sh', topic: 'alerts' });
    expect(maskedTarget(ntfy.shown, true)).toEqual({ server: 'https://ntfy.sh', topic: 'alerts', token: MASK });
  });
});
