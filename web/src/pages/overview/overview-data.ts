import type { FieldlineApi } from '../../api/fieldline-api.js';
import type { Alert, Device } from '../../api/types.js';

/** Pages read at most for the counts: 10,000 devices, 5,000 active alerts (the API has no count endpoint). */
const DEVICE_PAGES = 10;
const ALERT_PAGES = 5;
const LIMIT = 1000;

export interface OverviewData {
  /** Every device's presence, to count and to follow device_status events. */
  devices: Map<string, Device['status']>;
  /** False when there were more devices than read. */
  devicesComplete: boolean;
  activeAlerts: Set<string>;
  alertsComplete: boolean;
  latestAlerts: Alert[];
}

export async function loadOverview(api: FieldlineApi): Promise<OverviewData> {
  const devices = new Map<string, Device['status']>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await api.devices.list({ limit: LIMIT, cursor });
    for (const d of page.items) devices.set(d.id, d.status);
    cursor = page.next_cursor;
  } while (cursor !== null && ++pages < DEVICE_PAGES);
  const devicesComplete = cursor === null;

  const activeAlerts = new Set<string>();
  let alertCursor: string | null = null;
  pages = 0;
  do {
    const page = await api.alerts.list({ status: 'active', limit: LIMIT, cursor: alertCursor });
    for (const a of page.items) activeAlerts.add(a.id);
    alertCursor = page.next_cursor;
  } while (alertCursor !== null && ++pages < ALERT_PAGES);

  const latest = await api.alerts.list({ limit: 8 });
  return {
    devices,
    devicesComplete,
    activeAlerts,
    alertsComplete: alertCursor === null,
    latestAlerts: latest.items,
  };
}

export function countStatuses(devices: Map<string, Device['status']>): { online: number; offline: number } {
  let online = 0;
  for (const s of devices.values()) if (s === 'online') online++;
  return { online, offline: devices.size - online };
}
