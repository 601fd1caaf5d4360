import { Type } from 'typebox';
import { NullableIsoTime } from '../http/schemas.js';
import { toIso, toIsoOrNull } from '../kernel/index.js';
import type { IntegrationRow, SubscriptionRow } from './store.js';
import type { CounterDelta } from './subscription-counters.js';
import type { ConnectionStatus, SubscriptionAction } from './types.js';

export const ConnectionStatusView = Type.Object({
  integration_id: Type.String(),
  state: Type.String({ description: 'connecting, connected, reconnecting, disconnected, stopped' }),
  connected: Type.Boolean(),
  last_connected_at: NullableIsoTime,
  last_disconnected_at: NullableIsoTime,
  messages_received: Type.Integer(),
  subscribed_topics_count: Type.Integer(),
  subscribed_topics: Type.Array(Type.String()),
  client_id: Type.String(),
  broker_info: Type.Record(Type.String(), Type.Unknown()),
  connection_error: Type.Union([Type.String(), Type.Null()]),
  reconnect_attempts: Type.Integer(),
  next_reconnect_in_ms: Type.Union([Type.Integer(), Type.Null()]),
});

export function connectionStatusView(s: ConnectionStatus) {
  return {
    integration_id: s.integration_id,
    state: s.state,
    connected: s.connected,
    last_connected_at: toIsoOrNull(s.last_connected_at),
    last_disconnected_at: toIsoOrNull(s.last_disconnected_at),
    messages_received: s.messages_received,
    subscribed_topics_count: s.subscribed_topics_count,
    subscribed_topics: s.subscribed_topics,
    client_id: s.client_id,
    broker_info: s.broker_info as unknown as Record<string, unknown>,
    connection_error: s.connection_error,
    reconnect_attempts: s.reconnect_attempts,
    next_reconnect_in_ms: s.next_reconnect_in_ms,
  };
}

export const HealthView = Type.Object({
  state: Type.Union(
    [
      Type.Literal('ok'),
      Type.Literal('warning'),
      Type.Literal('error'),
      Type.Literal('idle'),
      Type.Literal('disabled'),
    ],
    { description: 'ok, warning (connecting, retrying), error, idle (nothing happened yet), disabled (inactive)' },
  ),
  summary: Type.String(),
});
export type Health = { state: 'ok' | 'warning' | 'error' | 'idle' | 'disabled'; summary: string };

export const IntegrationView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  name: Type.String(),
  status: Type.String({ description: 'active, inactive, or error (active but failing)' }),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'Secrets are shown as "***".' }),
  health: HealthView,
  last_sync_at: NullableIsoTime,
  sync_status: Type.Union([Type.String(), Type.Null()]),
  error_message: Type.Union([Type.String(), Type.Null()]),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
  connection: Type.Optional(Type.Union([ConnectionStatusView, Type.Null()])),
  webhook_url: Type.Optional(Type.String()),
});

/** The health of an integration at a glance, from its row and (MQTT) its live connection on this node. */
export function healthOf(row: IntegrationRow, live: ConnectionStatus | null): Health {
  if (row.status === 'inactive') return { state: 'disabled', summary: 'Inactive' };
  if (row.type === 'mqtt') {
    if (!live)
      return row.error_message
        ? { state: 'error', summary: row.error_message }
        : { state: 'warning', summary: 'Not running on this node yet' };
    if (live.connected) {
      const problem = live.connection_error;
      return problem
        ? { state: 'warning', summary: `Connected to ${live.broker_info.url}; ${problem}` }
        : {
            state: 'ok',
            summary: `Connected to ${live.broker_info.url}: ${live.subscribed_topics_count} topic(s), ${live.messages_received} message(s)`,
          };
    }
    if (live.connection_error) return { state: 'error', summary: `Disconnected: ${live.connection_error}` };
    return { state: 'warning', summary: `Connecting to ${live.broker_info.url}` };
  }
  if (row.status === 'error' || row.error_message) return { state: 'error', summary: row.error_message ?? 'Failing' };
  if (row.last_sync_at === null)
    return { state: 'idle', summary: row.type === 'webhook' ? 'No deliveries yet' : 'No events received yet' };
  return {
    state: 'ok',
    summary: `${row.type === 'webhook' ? 'Last delivery' : 'Last event'} at ${toIso(Number(row.last_sync_at))}`,
  };
}

export function integrationView(
  row: IntegrationRow,
  config: Record<string, unknown>,
  live: ConnectionStatus | null,
  webhookUrl: string | null,
) {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    status: row.status,
    config,
    health: healthOf(row, live),
    last_sync_at: toIsoOrNull(row.last_sync_at === null ? null : Number(row.last_sync_at)),
    sync_status: live ? live.state : row.sync_status,
    error_message: live ? live.connection_error : row.error_message,
    created_by: row.created_by,
    created_at: toIso(Number(row.created_at)),
    updated_at: toIso(Number(row.updated_at)),
    ...(row.type === 'mqtt' ? { connection: live ? connectionStatusView(live) : null } : {}),
    ...(webhookUrl ? { webhook_url: webhookUrl } : {}),
  };
}

export const SubscriptionView = Type.Object({
  id: Type.String(),
  integration_id: Type.String(),
  name: Type.String(),
  topic: Type.String(),
  filter: Type.String({
    description: 'The filter subscribed on the broker (prefix joined, placeholders as +, $share/…).',
  }),
  enabled: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  qos: Type.Union([Type.Integer(), Type.Null()]),
  actions: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  messages_received: Type.Integer(),
  actions_executed: Type.Integer(),
  actions_failed: Type.Integer(),
  last_message_at: NullableIsoTime,
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export function subscriptionView(r: SubscriptionRow, filter: string, pending: CounterDelta | undefined) {
  const lastAt = Math.max(Number(r.last_message_at ?? 0), pending?.lastMessageAt ?? 0);
  return {
    id: r.id,
    integration_id: r.integration_id,
    name: r.name,
    topic: r.topic,
    filter,
    enabled: r.enabled === 1,
    description: r.description,
    qos: r.qos,
    actions: JSON.parse(r.actions) as SubscriptionAction[] as unknown as Record<string, unknown>[],
    messages_received: Number(r.messages_received) + (pending?.received ?? 0),
    actions_executed: Number(r.actions_executed) + (pending?.executed ?? 0),
    actions_failed: Number(r.actions_failed) + (pending?.failed ?? 0),
    last_message_at: lastAt > 0 ? toIso(lastAt) : null,
    last_error: pending?.lastError ?? r.last_error,
    created_at: toIso(Number(r.created_at)),
    updated_at: toIso(Number(r.updated_at)),
  };
}
