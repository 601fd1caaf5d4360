import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_devices_telemetry.js';
import * as m0003 from './0003_notifications.js';
import * as m0004 from './0004_rules_alerts.js';
import * as m0005 from './0005_integrations.js';
import * as m0006 from './0006_telemetry_inbox.js';
import * as m0007 from './0007_telemetry_inbox_copied.js';

/**
 * Every migration, in order. Names sort lexically; a domain that needs a table adds its file here.
 * Kept as a static list (not a folder scan) so the compiled package and the tests see the same set.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_devices_telemetry': m0002,
  '0003_notifications': m0003,
  '0004_rules_alerts': m0004,
  '0005_integrations': m0005,
  '0006_telemetry_inbox': m0006,
  '0007_telemetry_inbox_copied': m0007,
};
