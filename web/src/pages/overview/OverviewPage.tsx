import { useCallback } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useLoad } from '../../hooks/use-load.js';
import { Link } from '../../router.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { AlertTable } from '../alerts/AlertTable.js';
import { alertFromEvent } from '../alerts/alert-list.js';
import { countStatuses, loadOverview, type OverviewData } from './overview-data.js';

/** Devices online and offline, active alerts and the latest ones; kept current by Socket.IO. */
export function OverviewPage() {
  const { api } = useSession();
  const { data, error, live, refresh } = useLoad(useCallback(() => loadOverview(api), [api]));

  const change = (f: (d: OverviewData) => Partial<OverviewData>) => live((d) => ({ ...d, ...f(d) }));
  useReconnected(refresh);

  useRealtimeEvent('device_status', (s) => change((d) => ({ devices: new Map(d.devices).set(s.device_id, s.status) })));
  useRealtimeEvent('device_update', (u) =>
    change((d) => {
      const devices = new Map(d.devices);
      if (u.action === 'deleted') devices.delete(u.device_id);
      else if (!devices.has(u.device_id)) devices.set(u.device_id, 'offline');
      return { devices };
    }),
  );
  const onAlert = (p: Parameters<typeof alertFromEvent>[0]) =>
    change((d) => {
      const activeAlerts = new Set(d.activeAlerts);
      if (p.status === 'active') activeAlerts.add(p.id);
      else activeAlerts.delete(p.id);
      const shown = d.latestAlerts.find((a) => a.id === p.id);
      const alert = alertFromEvent(p, shown);
      const latestAlerts = shown
        ? d.latestAlerts.map((a) => (a.id === p.id ? alert : a))
        : [alert, ...d.latestAlerts].slice(0, 8);
      return { activeAlerts, latestAlerts };
    });
  useRealtimeEvent('alert', onAlert);
  useRealtimeEvent('alert_update', onAlert);

  if (error) return <ProblemMessage error={error} />;
  if (!data) return <p>Loading…</p>;
  const { online, offline } = countStatuses(data.devices);
  const more = (complete: boolean) => (complete ? '' : '+');
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ul className="cards" aria-label="Summary">
        <li className="card card-ok">
          <span className="card-value" data-testid="devices-online">
            {online}
            {more(data.devicesComplete)}
          </span>
          <Link to="/devices">devices online</Link>
        </li>
        <li className="card">
          <span className="card-value" data-testid="devices-offline">
            {offline}
            {more(data.devicesComplete)}
          </span>
          <Link to="/devices">devices offline</Link>
        </li>
        <li className={data.activeAlerts.size > 0 ? 'card card-alert' : 'card'}>
          <span className="card-value" data-testid="active-alerts">
            {data.activeAlerts.size}
            {more(data.alertsComplete)}
          </span>
          <Link to="/alerts">active alerts</Link>
        </li>
      </ul>
      <h2>Latest alerts</h2>
      <AlertTable alerts={data.latestAlerts} caption="Latest alerts" />
    </section>
  );
}
