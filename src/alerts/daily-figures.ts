import type { Kysely } from 'kysely';
import type { AlertFigures } from '../notify/index.js';
import type { Database } from '../storage/index.js';

const TOP_DEVICES = 5;

/**
 * The daily summary's alert figures, read from the alerts themselves: every alert raised in the window (also
 * those whose rule notifies nobody), those resolved in it, and those still open at its end.
 */
export function alertFigures(db: Kysely<Database>): AlertFigures {
  return async (organizationId, from, to) => {
    const inOrg = db.selectFrom('alerts').where('alerts.organization_id', '=', organizationId);
    const raisedInWindow = inOrg.where('alerts.created_at', '>=', from).where('alerts.created_at', '<', to);
    const [raised, resolved, open, bySeverity, topDevices] = await Promise.all([
      raisedInWindow.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      inOrg
        .where('resolved_at', '>=', from)
        .where('resolved_at', '<', to)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      inOrg
        .where('created_at', '<', to)
        .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', to)]))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      raisedInWindow
        .select(['alerts.severity', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('alerts.severity')
        .execute(),
      raisedInWindow
        .leftJoin('devices', 'devices.id', 'alerts.device_id')
        .select(['alerts.device_id', 'devices.name', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['alerts.device_id', 'devices.name'])
        .orderBy('n', 'desc')
        .orderBy('alerts.device_id')
        .limit(TOP_DEVICES)
        .execute(),
    ]);
    return {
      raised: Number(raised.n),
      resolved: Number(resolved.n),
      open: Number(open.n),
      by_severity: Object.fromEntries(bySeverity.map((r) => [r.severity, Number(r.n)])),
      top_devices: topDevices.map((r) => ({ device_id: r.device_id, device_name: r.name, count: Number(r.n) })),
    };
  };
}
