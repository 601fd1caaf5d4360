import { describe, expect, it } from 'vitest';
import { alertPayload, deviceStatusPayload, telemetryUpdates } from './payloads.js';

describe('realtime payloads', () => {
  it('groups the readings of one message by instant, in the order the device sent them', () => {
    const t1 = Date.UTC(2026, 0, 1, 0, 0, 1);
    const t0 = Date.UTC(2026, 0, 1);
    expect(
      telemetryUpdates({
        organization_id: 'o',
        device_id: 'd',
        device_type: 'generic',
        source: 'mqtt',
        received_at: t1,
        readings: [
          { ts: t1, key: 'temperature', value: 21 },
          { ts: t0, key: 'temperature', value: 20 },
          { ts: t1, key: 'state', value: { mode: 'auto' } },
        ],
      }),
    ).toEqual([
      { device_id: 'd', ts: '2026-01-01T00:00:01.000Z', values: { temperature: 21, state: { mode: 'auto' } } },
      { device_id: 'd', ts: '2026-01-01T00:00:00.000Z', values: { temperature: 20 } },
    ]);
  });

  it('renders times as ISO 8601 and keeps every other field of an alert', () => {
    const alert = {
      id: 'a1',
      rule_id: null,
      rule_name: null,
      device_id: 'd',
      severity: 'warning',
      status: 'resolved',
      message: 'm',
      value: 1,
      threshold: 2,
      created_at: Date.UTC(2026, 0, 1),
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: Date.UTC(2026, 0, 2),
    };
    expect(alertPayload(alert)).toEqual({
      ...alert,
      created_at: '2026-01-01T00:00:00.000Z',
      resolved_at: '2026-01-02T00:00:00.000Z',
    });
    expect(
      deviceStatusPayload({ organization_id: 'o', device_id: 'd', status: 'online', ts: 0, reason: 'connect' }),
    ).toEqual({ device_id: 'd', status: 'online', ts: '1970-01-01T00:00:00.000Z', reason: 'connect' });
  });
});
