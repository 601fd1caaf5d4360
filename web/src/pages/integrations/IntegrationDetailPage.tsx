import { useCallback, useState } from 'react';
import { asIntegrationStatus } from '../../api/realtime.js';
import type { IntegrationTestResult } from '../../api/types.js';
import { Badge } from '../../components/Badge.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useLoad } from '../../hooks/use-load.js';
import { Link, navigate } from '../../router.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { withStatus } from './integration-health.js';
import { SubscriptionsPanel } from './SubscriptionsPanel.js';
import { TestResult } from './TestResult.js';

/** One integration: health and live connection, test, reconnect, switch on/off, delete; its subscriptions. */
export function IntegrationDetailPage({ id }: { id: string }) {
  const { api, can } = useSession();
  const loaded = useLoad(useCallback(() => api.integrations.get(id), [api, id]));
  const [error, setError] = useState<unknown>(null);
  const [test, setTest] = useState<IntegrationTestResult | null>(null);
  const [busy, setBusy] = useState(false);

  useRealtimeEvent('integration_status', (payload) => {
    const s = asIntegrationStatus(payload);
    if (s) loaded.live((i) => withStatus(i, s));
  });
  useReconnected(loaded.refresh);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (loaded.error) return <ProblemMessage error={loaded.error} />;
  const i = loaded.data;
  if (!i) return <p>Loading…</p>;
  const broker = (i.config.broker ?? {}) as Record<string, unknown>;
  const c = i.connection;
  return (
    <section aria-labelledby="integration-title">
      <p>
        <Link to="/integrations">← Integrations</Link>
      </p>
      <div className="page-head">
        <h1 id="integration-title">
          {i.name} <Badge value={i.health.state} />
        </h1>
        {can('admin') && (
          <div className="buttons">
            <button
              type="button"
              disabled={busy}
              onClick={() => void act(async () => setTest(await api.integrations.testSaved(i.id)))}
            >
              Test connection
            </button>
            {i.type === 'mqtt' && i.status !== 'inactive' && (
              <button
                type="button"
                disabled={busy}
                onClick={() => void act(async () => void (await api.integrations.reconnect(i.id)))}
              >
                Reconnect
              </button>
            )}
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void act(() =>
                  loaded.replaceWith(() =>
                    api.integrations.update(i.id, { status: i.status === 'inactive' ? 'active' : 'inactive' }),
                  ),
                )
              }
            >
              {i.status === 'inactive' ? 'Switch on' : 'Switch off'}
            </button>
            <ConfirmButton
              confirm="Delete for good"
              onConfirm={() =>
                void act(async () => {
                  await api.integrations.remove(i.id);
                  navigate('/integrations');
                })
              }
            >
              Delete…
            </ConfirmButton>
          </div>
        )}
      </div>
      <p data-testid="integration-health">{i.health.summary}</p>
      <ProblemMessage error={error} />
      {test && <TestResult result={test} />}
      <dl className="facts">
        <dt>Type</dt>
        <dd>{i.type}</dd>
        <dt>Status</dt>
        <dd>{i.status}</dd>
        {i.type === 'mqtt' && (
          <>
            <dt>Broker</dt>
            <dd>
              <code>{String(broker.url ?? `${String(broker.host ?? '?')}:${String(broker.port ?? '')}`)}</code>
              {broker.username ? ` as ${String(broker.username)}` : ''}
            </dd>
            <dt>Connected</dt>
            <dd>
              {c?.connected ? 'yes' : 'no'}
              {c?.connection_error ? ` — ${c.connection_error}` : ''}
            </dd>
            <dt>Messages received</dt>
            <dd data-testid="messages-received">{c?.messages_received ?? 0}</dd>
            <dt>Subscribed topics</dt>
            <dd>
              {c && c.subscribed_topics.length > 0 ? c.subscribed_topics.map((t) => <code key={t}>{t} </code>) : '—'}
            </dd>
            <dt>Last connected</dt>
            <dd>
              <Time iso={c?.last_connected_at} empty="never" />
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <Time iso={i.created_at} />
        </dd>
      </dl>
      {i.type === 'mqtt' && <SubscriptionsPanel integrationId={i.id} />}
    </section>
  );
}
