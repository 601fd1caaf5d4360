import { describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../api/realtime.js';
import type { Alert } from '../../api/types.js';
import { applyAlertEvent, matchesFilter, NO_FILTER } from './alert-list.js';

const payload = (id: string, over: Partial<AlertPayload> = {}): AlertPayload => ({
  id,
  rule_id: 'r1',
  rule_name: 'High temperature',
  device_id: 'boiler-1',
  severity: 'critical',
  status: 'active',
  message: 'temperature 91 > 90',
  value: 91,
  threshold: 90,
  created_at: '2026-01-01T00:00:00.000Z',
  acknowledged_at: null,
  acknowledged_by: null,
  resolved_at: null,
  notes: null,
  escalation_level: 0,
  ...over,
});

const shown = (id: string, over: Partial<Alert> = {}): Alert => ({
  ...payload(id),
  rule_id: 'r1',
  rule_name: 'High temperature',
  device_id: 'boiler-1',
  device_name: 'Boiler 1',
  escalation_level: 0,
  notes: null,
  updated_at: '2026-01-01T00:00:00.000Z',
  resolved_by: null,
  ...over,
});

describe('alert list', () => {
  it('filters by status (open = not resolved), severity and device', () => {
    const a = { status: 'acknowledged', severity: 'warning', device_id: 'd1' };
    expect(matchesFilter(a, NO_FILTER)).toBe(true);
    expect(matchesFilter(a, { ...NO_FILTER, status: 'open' })).toBe(true);
    expect(matchesFilter({ ...a, status: 'resolved' }, { ...NO_FILTER, status: 'open' })).toBe(false);
    expect(matchesFilter(a, { ...NO_FILTER, status: 'active' })).toBe(false);
    expect(matchesFilter(a, { ...NO_FILTER, severity: 'critical' })).toBe(false);
    expect(matchesFilter(a, { ...NO_FILTER, device_id: 'd2' })).toBe(false);
  });

  it('puts a new matching alert on top, newest first', () => {
    const list = [shown('0003'), shown('0001')];
    expect(applyAlertEvent(list, payload('0004'), NO_FILTER).map((a) => a.id)).toEqual(['0004', '0003', '0001']);
    expect(applyAlertEvent(list, payload('0002'), NO_FILTER).map((a) => a.id)).toEqual(['0003', '0002', '0001']);
  });

  it('ignores a new alert the filters do not show', () => {
    const list = [shown('0001')];
    expect(applyAlertEvent(list, payload('0002', { severity: 'info' }), { ...NO_FILTER, severity: 'critical' })).toBe(
      list,
    );
  });

  it('replaces a changed alert in place and keeps what the event does not carry', () => {
    const list = [shown('0002'), shown('0001')];
    const next = applyAlertEvent(
      list,
      payload('0001', {
        status: 'acknowledged',
        acknowledged_at: '2026-01-01T00:01:00.000Z',
        acknowledged_by: 'ops',
        notes: 'on it',
      }),
      NO_FILTER,
    );
    expect(next[1]).toMatchObject({
      id: '0001',
      status: 'acknowledged',
      acknowledged_by: 'ops',
      notes: 'on it',
      device_name: 'Boiler 1',
      updated_at: '2026-01-01T00:01:00.000Z',
    });
    expect(next[0]).toBe(list[0]);
  });

  it('drops an alert that no longer matches (acknowledged while only active ones are shown)', () => {
    const list = [shown('0001')];
    const next = applyAlertEvent(list, payload('0001', { status: 'acknowledged' }), {
      ...NO_FILTER,
      status: 'active',
    });
    expect(next).toEqual([]);
  });
});
