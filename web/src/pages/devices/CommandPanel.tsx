import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { Command } from '../../api/types.js';
import { Badge } from '../../components/Badge.js';
import { TextAreaField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useLoad } from '../../hooks/use-load.js';
import { useSession } from '../../session/session.js';

const SETTLED = new Set(['succeeded', 'failed', 'timed_out', 'expired']);
/** How long the panel follows a command it sent (the API pushes no command events; see docs/web-ui.md). */
const FOLLOW_MS = 30_000;

/** Sends a command to the device and follows it until it is answered (operators and up). */
export function CommandPanel({ deviceId }: { deviceId: string }) {
  const { api, can } = useSession();
  const history = useLoad(useCallback(() => api.commands.list(deviceId, 10), [api, deviceId]));
  const [name, setName] = useState('');
  const [params, setParams] = useState('{}');
  const [timeout, setTimeoutMs] = useState('10000');
  const [error, setError] = useState<unknown>(null);
  const [following, setFollowing] = useState<Command | null>(null);

  useEffect(() => {
    if (!following || SETTLED.has(following.status)) return;
    const until = Date.parse(following.created_at) + FOLLOW_MS;
    if (Date.now() > until) return;
    const timer = window.setTimeout(() => {
      api.commands.get(deviceId, following.id).then(
        (c) => {
          setFollowing(c);
          history.setData((h) => (h ? { ...h, items: h.items.map((x) => (x.id === c.id ? c : x)) } : h));
        },
        (err: unknown) => setError(err),
      );
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [api, deviceId, following, history.setData]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let parsed: unknown;
    try {
      parsed = params.trim() ? JSON.parse(params) : {};
    } catch (err) {
      setError(new ApiError(400, 'FORM', `params is not valid JSON: ${(err as Error).message}`));
      return;
    }
    try {
      const sent = await api.commands.send(deviceId, {
        name: name.trim(),
        params: parsed,
        ...(timeout.trim() ? { timeout_ms: Number(timeout) } : {}),
      });
      setFollowing(sent);
      history.setData((h) => (h ? { ...h, items: [sent, ...h.items].slice(0, 10) } : h));
    } catch (err) {
      setError(err);
    }
  };

  const field = (f: string) => (error instanceof ApiError ? error.fieldMessage(f) : undefined);
  return (
    <section aria-labelledby="commands-title">
      <h2 id="commands-title">Commands</h2>
      {can('operator') && (
        <form className="panel" onSubmit={(e) => void submit(e)} aria-label="Send a command">
          <div className="grid">
            <TextField
              label="Command"
              required
              value={name}
              error={field('name')}
              onChange={(e) => setName(e.target.value)}
            />
            <TextField
              label="Answer timeout (ms)"
              type="number"
              min={100}
              value={timeout}
              error={field('timeout_ms')}
              onChange={(e) => setTimeoutMs(e.target.value)}
            />
          </div>
          <TextAreaField
            label="Params (JSON)"
            rows={3}
            value={params}
            error={field('params')}
            onChange={(e) => setParams(e.target.value)}
          />
          <ProblemMessage error={error} />
          <button type="submit" className="primary">
            Send command
          </button>
          {following && (
            <p role="status">
              Command <code>{following.name}</code>: <Badge value={following.status} />
              {following.error && <> — {following.error}</>}
            </p>
          )}
        </form>
      )}
      <ProblemMessage error={history.error} />
      {history.data && history.data.items.length > 0 && (
        <table>
          <caption>Recent commands</caption>
          <thead>
            <tr>
              <th scope="col">Sent</th>
              <th scope="col">Command</th>
              <th scope="col">Status</th>
              <th scope="col">Response</th>
            </tr>
          </thead>
          <tbody>
            {history.data.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Time iso={c.created_at} />
                </td>
                <td>
                  <code>{c.name}</code>
                </td>
                <td>
                  <Badge value={c.status} />
                </td>
                <td>
                  <code>{c.error ?? (c.response === null ? '' : JSON.stringify(c.response))}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
