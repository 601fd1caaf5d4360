import { useCallback } from 'react';
import { asIntegrationStatus } from '../../api/realtime.js';
import { Badge } from '../../components/Badge.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useLoad } from '../../hooks/use-load.js';
import { Link } from '../../router.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { withStatus } from './integration-health.js';

/** Integrations with their health at a glance, kept current by `integration_status`. */
export function IntegrationsPage() {
  const { api, can } = useSession();
  const list = useLoad(useCallback(() => api.integrations.list(), [api]));

  useRealtimeEvent('integration_status', (payload) => {
    const s = asIntegrationStatus(payload);
    if (s) list.live((d) => ({ ...d, items: d.items.map((i) => withStatus(i, s)) }));
  });
  useReconnected(list.refresh);

  return (
    <section aria-labelledby="integrations-title">
      <div className="page-head">
        <h1 id="integrations-title">Integrations</h1>
        {can('admin') && (
          <Link to="/integrations/new" className="button primary">
            New MQTT integration
          </Link>
        )}
      </div>
      <ProblemMessage error={list.error} />
      {list.data && list.data.items.length === 0 && (
        <p className="empty">No integrations yet. Connect an external MQTT broker to take in its devices' data.</p>
      )}
      {list.data && list.data.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Integrations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Health</th>
              <th scope="col">Connected</th>
              <th scope="col">Messages</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((i) => (
              <tr key={i.id} data-integration-id={i.id}>
                <td>
                  <Link to={`/integrations/${encodeURIComponent(i.id)}`}>{i.name}</Link>
                </td>
                <td>{i.type}</td>
                <td>
                  <Badge value={i.health.state} /> <span className="sub">{i.health.summary}</span>
                </td>
                <td>{i.type === 'mqtt' ? (i.connection?.connected ? 'yes' : 'no') : '—'}</td>
                <td>{i.connection ? i.connection.messages_received : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
