import type { IntegrationStatusUpdate } from '../../api/realtime.js';
import type { HealthState, Integration } from '../../api/types.js';

/**
 * An integration after a live `integration_status`: its connection replaced, and its health at a glance
 * derived the way the server derives it for MQTT integrations (src/integrations/views.ts healthOf).
 */
export function withStatus(i: Integration, s: IntegrationStatusUpdate): Integration {
  if (i.id !== s.integration_id) return i;
  const { type: _type, at: _at, ...connection } = s;
  const url = String(connection.broker_info.url ?? 'the broker');
  let health: { state: HealthState; summary: string };
  if (i.status === 'inactive' || s.state === 'stopped') health = { state: 'disabled', summary: 'Inactive' };
  else if (s.connected)
    health = s.connection_error
      ? { state: 'warning', summary: `Connected to ${url}; ${s.connection_error}` }
      : {
          state: 'ok',
          summary: `Connected to ${url}: ${s.subscribed_topics_count} topic(s), ${s.messages_received} message(s)`,
        };
  else if (s.connection_error) health = { state: 'error', summary: `Disconnected: ${s.connection_error}` };
  else health = { state: 'warning', summary: `Connecting to ${url}` };
  return { ...i, connection, health, sync_status: s.state, error_message: s.connection_error };
}
