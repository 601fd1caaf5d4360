import { type FormEvent, useCallback, useRef, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { Subscription } from '../../api/types.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useLoad } from '../../hooks/use-load.js';
import { useRealtimeEvent, useSession } from '../../session/session.js';

/** Refresh the counters at most this often while status events flow (every 2 s during traffic). */
const REFRESH_MS = 3000;

/** The subscriptions of an MQTT integration: counters, enable/disable, add one that ingests telemetry. */
export function SubscriptionsPanel({ integrationId }: { integrationId: string }) {
  const { api, can } = useSession();
  const subs = useLoad(useCallback(() => api.integrations.subscriptions(integrationId), [api, integrationId]));
  const [error, setError] = useState<unknown>(null);
  const lastRefresh = useRef(0);

  // integration_status carries the connection's totals, not each subscription's: re-read them now and then.
  useRealtimeEvent('integration_status', (p) => {
    if (p.integration_id !== integrationId || Date.now() - lastRefresh.current < REFRESH_MS) return;
    lastRefresh.current = Date.now();
    subs.reload();
  });

  const replace = (s: Subscription) =>
    subs.setData((d) => (d ? { ...d, items: d.items.map((x) => (x.id === s.id ? s : x)) } : d));
  const act = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="subs-title">
      <h2 id="subs-title">Subscriptions</h2>
      <ProblemMessage error={subs.error ?? error} />
      {subs.data && subs.data.items.length === 0 && <p className="empty">No subscriptions: nothing is received yet.</p>}
      {subs.data && subs.data.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Subscriptions</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Broker filter</th>
              <th scope="col">Received</th>
              <th scope="col">Executed</th>
              <th scope="col">Failed</th>
              <th scope="col">Last message</th>
              <th scope="col">Enabled</th>
              {can('admin') && <th scope="col">Remove</th>}
            </tr>
          </thead>
          <tbody>
            {subs.data.items.map((s) => (
              <tr key={s.id}>
                <td>
                  {s.name}
                  {s.last_error && <div className="sub error-text">{s.last_error}</div>}
                </td>
                <td>
                  <code>{s.filter}</code>
                </td>
                <td>{s.messages_received}</td>
                <td>{s.actions_executed}</td>
                <td>{s.actions_failed}</td>
                <td>
                  <Time iso={s.last_message_at} empty="never" />
                </td>
                <td>
                  {can('admin') ? (
                    <label className="switch">
                      <input
                        type="checkbox"
                        role="switch"
                        checked={s.enabled}
                        aria-checked={s.enabled}
                        aria-label={`${s.name} enabled`}
                        onChange={() =>
                          void act(async () =>
                            replace(await api.integrations.setSubscriptionEnabled(integrationId, s.id, !s.enabled)),
                          )
                        }
                      />
                      {s.enabled ? 'on' : 'off'}
                    </label>
                  ) : s.enabled ? (
                    'on'
                  ) : (
                    'off'
                  )}
                </td>
                {can('admin') && (
                  <td>
                    <ConfirmButton
                      confirm="Remove"
                      onConfirm={() =>
                        void act(async () => {
                          await api.integrations.removeSubscription(integrationId, s.id);
                          subs.reload();
                        })
                      }
                    >
                      Remove…
                    </ConfirmButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can('admin') && <AddSubscription integrationId={integrationId} onAdded={subs.reload} />}
    </section>
  );
}

function AddSubscription({ integrationId, onAdded }: { integrationId: string; onAdded: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [createDevices, setCreateDevices] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const msg = (f: string) => (error instanceof ApiError ? error.fieldMessage(f) : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.integrations.addSubscription(integrationId, {
        name: name.trim(),
        ...(topic.trim() ? { topic: topic.trim() } : {}),
        actions: [
          {
            type: 'ingest',
            ...(deviceId.trim() ? { device_id: deviceId.trim() } : {}),
            ...(createDevices ? { create_devices: true } : {}),
          },
        ],
      });
      setName('');
      setTopic('');
      setDeviceId('');
      onAdded();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="add-sub-title">
      <h3 id="add-sub-title">Add a subscription that stores telemetry</h3>
      <div className="grid">
        <TextField label="Name" required value={name} error={msg('name')} onChange={(e) => setName(e.target.value)} />
        <TextField
          label="Topic"
          value={topic}
          error={msg('topic')}
          hint="An MQTT filter; {name} captures a level, e.g. plant/{device_id}/data (empty: the default pattern)"
          onChange={(e) => setTopic(e.target.value)}
        />
        <TextField
          label="Device id (optional)"
          value={deviceId}
          error={msg('actions.0.device_id')}
          hint="A template over the topic's placeholders, or a fixed id; default {device_id}"
          onChange={(e) => setDeviceId(e.target.value)}
        />
      </div>
      <label className="field-check">
        <input type="checkbox" checked={createDevices} onChange={(e) => setCreateDevices(e.target.checked)} /> Create
        unknown devices
      </label>
      <ProblemMessage error={error} />
      <button type="submit">Add subscription</button>
    </form>
  );
}
