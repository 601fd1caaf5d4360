import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertsTable } from '../storage/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { alertFigures } from './daily-figures.js';

const HOUR = 3_600_000;
const TO = Date.parse('2026-03-02T07:00:00Z');
const FROM = TO - 24 * HOUR;
let storage: Storage;
let n = 0;

function alert(org: string, patch: Partial<AlertsTable>): AlertsTable {
  n++;
  return {
    id: `a-${String(n).padStart(3, '0')}`,
    organization_id: org,
    rule_id: `rule-${n}`, // one open alert per rule and device (a unique index)
    rule_name: 'Hot',
    device_id: 'press-1',
    severity: 'warning',
    status: 'active',
    message: 'hot',
    value: '95',
    threshold: '90',
    escalation_level: 0,
    created_at: FROM + HOUR,
    updated_at: FROM + HOUR,
    acknowledged_at: null,
    acknowledged_by: null,
    notes: null,
    resolved_at: null,
    resolved_by: null,
    ...patch,
  };
}

beforeEach(async () => {
  storage = openStorage({ databaseUrl: null, dataDir: '.', sqliteFile: ':memory:' });
  await storage.migrate();
  for (const id of ['plant', 'other'])
    await storage.db
      .insertInto('organizations')
      .values({ id, name: id, slug: id, settings: '{}', created_at: 0, updated_at: 0 })
      .execute();
  await storage.db
    .insertInto('devices')
    .values({
      id: 'press-1',
      organization_id: 'plant',
      name: 'Press 1',
      device_type: 'press',
      location: null,
      active: 1,
      metadata: '{}',
      attributes: '{}',
      status: 'online',
      last_seen: null,
      token_hash: 'x',
      inactivity_timeout_s: null,
      protocol: null,
      last_error: null,
      last_error_at: null,
      created_at: 0,
      updated_at: 0,
    })
    .execute();
});
afterEach(async () => {
  await storage.close();
});

describe('alertFigures', () => {
  it('counts raised, resolved and still-open alerts of the window, by severity and device, for one organization', async () => {
    await storage.db
      .insertInto('alerts')
      .values([
        // Raised before the window, resolved in it: resolved, not raised, not open.
        alert('plant', { created_at: FROM - HOUR, status: 'resolved', resolved_at: FROM + HOUR }),
        // Raised before the window, still open: open only.
        alert('plant', { created_at: FROM - 2 * HOUR, device_id: 'gone-7' }),
        // Raised in the window: one resolved in it, one resolved after its end (open at the end), one open.
        alert('plant', { severity: 'critical', status: 'resolved', resolved_at: FROM + 2 * HOUR }),
        alert('plant', { status: 'resolved', resolved_at: TO + HOUR }),
        alert('plant', { device_id: 'gone-7', status: 'acknowledged' }),
        // After the window, and another organization's: not counted.
        alert('plant', { created_at: TO + HOUR }),
        alert('other', {}),
      ])
      .execute();

    expect(await alertFigures(storage.db)('plant', FROM, TO)).toEqual({
      raised: 3,
      resolved: 2,
      open: 3,
      by_severity: { critical: 1, warning: 2 },
      top_devices: [
        { device_id: 'press-1', device_name: 'Press 1', count: 2 },
        // A deleted device keeps its alerts' history, without a name.
        { device_id: 'gone-7', device_name: null, count: 1 },
      ],
    });
  });

  it('answers zeros for a quiet day', async () => {
    expect(await alertFigures(storage.db)('plant', FROM, TO)).toEqual({
      raised: 0,
      resolved: 0,
      open: 0,
      by_severity: {},
      top_devices: [],
    });
  });
});
