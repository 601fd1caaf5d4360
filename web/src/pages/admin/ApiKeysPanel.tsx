import { type FormEvent, useCallback, useState } from 'react';
import { ROLES } from '../../../../src/auth/roles.js';
import { ApiError } from '../../api/problem.js';
import type { CreatedApiKey, Role } from '../../api/types.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { SelectField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { ShownOnce } from '../../components/ShownOnce.js';
import { Time } from '../../components/Time.js';
import { useLoad } from '../../hooks/use-load.js';
import { useSession } from '../../session/session.js';

/** API keys of machine clients: create (the key is shown once), see use, revoke. */
export function ApiKeysPanel() {
  const { api } = useSession();
  const keys = useLoad(useCallback(() => api.apiKeys.list(), [api]));
  const [fields, setFields] = useState({ name: '', role: 'operator' as Role, days: '' });
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const msg = (f: string) => (error instanceof ApiError ? error.fieldMessage(f) : undefined);

  const act = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const key = await api.apiKeys.create({
        name: fields.name.trim(),
        role: fields.role,
        ...(fields.days.trim() ? { expires_in_days: Number(fields.days) } : {}),
      });
      setCreated(key);
      setFields({ name: '', role: 'operator', days: '' });
      keys.reload();
    });
  };

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <ProblemMessage error={keys.error ?? error} />
      {created && (
        <ShownOnce
          title={`API key “${created.name}”`}
          label="API key"
          secret={created.key}
          onDone={() => setCreated(null)}
        />
      )}
      {keys.data && keys.data.items.length === 0 && <p className="empty">No API keys.</p>}
      {keys.data && keys.data.items.length > 0 && (
        <table>
          <caption className="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">Revoke</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{k.role}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>
                  <Time iso={k.created_at} />
                </td>
                <td>
                  <Time iso={k.last_used_at} empty="never" />
                </td>
                <td>
                  <Time iso={k.expires_at} empty="never" />
                </td>
                <td>
                  {k.revoked_at ? (
                    <>
                      revoked <Time iso={k.revoked_at} />
                    </>
                  ) : (
                    <ConfirmButton
                      confirm={`Revoke ${k.name}`}
                      onConfirm={() =>
                        void act(async () => {
                          await api.apiKeys.revoke(k.id);
                          keys.reload();
                        })
                      }
                    >
                      Revoke…
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="panel" onSubmit={submit} aria-labelledby="new-key-title">
        <h3 id="new-key-title">New API key</h3>
        <div className="grid">
          <TextField
            label="Name"
            required
            value={fields.name}
            error={msg('name')}
            onChange={(e) => setFields({ ...fields, name: e.target.value })}
          />
          <SelectField
            label="Role"
            value={fields.role}
            options={ROLES}
            error={msg('role')}
            onChange={(e) => setFields({ ...fields, role: e.target.value as Role })}
          />
          <TextField
            label="Expires after (days, optional)"
            type="number"
            min={1}
            max={3650}
            value={fields.days}
            error={msg('expires_in_days')}
            onChange={(e) => setFields({ ...fields, days: e.target.value })}
          />
        </div>
        <button type="submit">Create API key</button>
      </form>
    </section>
  );
}
