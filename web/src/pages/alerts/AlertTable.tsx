import type { ReactNode } from 'react';
import type { Alert } from '../../api/types.js';
import { Badge } from '../../components/Badge.js';
import { Time } from '../../components/Time.js';
import { Link } from '../../router.js';

interface Props {
  alerts: Alert[];
  caption: string;
  /** Buttons and forms of a row (acknowledge, resolve), when the user may act. */
  actions?: (alert: Alert) => ReactNode;
}

/** Alerts, newest first: when, severity, state, message, device, and who acknowledged them. */
export function AlertTable({ alerts, caption, actions }: Props) {
  if (alerts.length === 0) return <p className="empty">No alerts.</p>;
  return (
    <table className="alerts">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Raised</th>
          <th scope="col">Severity</th>
          <th scope="col">Status</th>
          <th scope="col">Message</th>
          <th scope="col">Device</th>
          <th scope="col">Acknowledged</th>
          {actions && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id} data-alert-id={a.id}>
            <td>
              <Time iso={a.created_at} />
            </td>
            <td>
              <Badge value={a.severity} />
            </td>
            <td>
              <Badge value={a.status} />
            </td>
            <td>
              {a.message}
              {a.rule_name && <div className="sub">Rule: {a.rule_name}</div>}
            </td>
            <td>
              <Link to={`/devices/${encodeURIComponent(a.device_id)}`}>{a.device_name ?? a.device_id}</Link>
            </td>
            <td>
              {a.acknowledged_by ? (
                <>
                  {a.acknowledged_by}
                  {a.notes && <div className="sub">“{a.notes}”</div>}
                </>
              ) : (
                '—'
              )}
            </td>
            {actions && <td>{actions(a)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
