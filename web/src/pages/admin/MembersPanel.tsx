import { type FormEvent, useCallback, useState } from 'react';
import { ROLES } from '../../../../src/auth/roles.js';
import { ApiError } from '../../api/problem.js';
import type { CreatedMember, Role } from '../../api/types.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { SelectField, TextField } from '../../components/Field.js';
import { Pager } from '../../components/Pager.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { ShownOnce } from '../../components/ShownOnce.js';
import { Time } from '../../components/Time.js';
import { useCursorPages } from '../../hooks/use-cursor-pages.js';
import { useSession } from '../../session/session.js';

/** Members of the organization: roles, removal, adding (or inviting) someone. */
export function MembersPanel() {
  const { api, me, can } = useSession();
  const pages = useCursorPages(useCallback((cursor: string | null) => api.users.list(cursor), [api]));
  const [error, setError] = useState<unknown>(null);
  // Only owners may grant or take the owner role (the server checks; the UI does not offer it).
  const grantable = ROLES.filter((r) => r !== 'owner' || can('owner'));

  const act = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members of {me.organization.name}</h2>
      <ProblemMessage error={pages.error ?? error} />
      {pages.items && (
        <table>
          <caption className="visually-hidden">Members</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Last login</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {pages.items.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.username}
                  {m.display_name && <div className="sub">{m.display_name}</div>}
                  {m.disabled && <div className="sub">disabled</div>}
                </td>
                <td>{m.email ?? ''}</td>
                <td>
                  {m.id === me.id || (m.role === 'owner' && !can('owner')) ? (
                    m.role
                  ) : (
                    <select
                      aria-label={`Role of ${m.username}`}
                      value={m.role}
                      onChange={(e) =>
                        void act(async () => {
                          const changed = await api.users.setRole(m.id, e.target.value as Role);
                          pages.setItems((items) => items.map((x) => (x.id === changed.id ? changed : x)));
                        })
                      }
                    >
                      {grantable.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                <td>
                  <Time iso={m.last_login_at} empty="never" />
                </td>
                <td>
                  {m.id !== me.id && (
                    <ConfirmButton
                      confirm={`Remove ${m.username}`}
                      onConfirm={() =>
                        void act(async () => {
                          await api.users.remove(m.id);
                          pages.setItems((items) => items.filter((x) => x.id !== m.id));
                        })
                      }
                    >
                      Remove…
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={pages.page}
        hasPrevious={pages.hasPrevious}
        hasNext={pages.hasNext}
        onPrevious={pages.previous}
        onNext={pages.next}
      />
      <AddMember roles={grantable} onAdded={pages.reload} />
    </section>
  );
}

function AddMember({ roles, onAdded }: { roles: readonly Role[]; onAdded: () => void }) {
  const { api } = useSession();
  const [fields, setFields] = useState({ username: '', email: '', password: '', role: 'viewer' as Role });
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedMember | null>(null);
  const msg = (f: string) => (error instanceof ApiError ? error.fieldMessage(f) : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const member = await api.users.create({
        username: fields.username.trim(),
        role: fields.role,
        ...(fields.password ? { password: fields.password } : {}),
        ...(fields.email.trim() ? { email: fields.email.trim() } : {}),
      });
      setFields({ username: '', email: '', password: '', role: 'viewer' });
      onAdded();
      if (member.initial_password) setCreated(member);
    } catch (err) {
      setError(err);
    }
  };

  if (created?.initial_password) {
    return (
      <ShownOnce
        title={`Password of ${created.username}`}
        label="Generated password"
        secret={created.initial_password}
        onDone={() => setCreated(null)}
      />
    );
  }
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="add-member-title">
      <h3 id="add-member-title">Add a member</h3>
      <p className="hint">
        An existing username is invited into this organization; a new user without a password gets a generated one,
        shown once.
      </p>
      <div className="grid">
        <TextField
          label="Username"
          required
          value={fields.username}
          error={msg('username')}
          onChange={(e) => setFields({ ...fields, username: e.target.value })}
        />
        <TextField
          label="Email (optional)"
          type="email"
          value={fields.email}
          error={msg('email')}
          onChange={(e) => setFields({ ...fields, email: e.target.value })}
        />
        <TextField
          label="Password (optional)"
          type="password"
          autoComplete="new-password"
          value={fields.password}
          error={msg('password')}
          onChange={(e) => setFields({ ...fields, password: e.target.value })}
        />
        <SelectField
          label="Role"
          value={fields.role}
          options={roles}
          error={msg('role')}
          onChange={(e) => setFields({ ...fields, role: e.target.value as Role })}
        />
      </div>
      <ProblemMessage error={error} />
      <button type="submit">Add member</button>
    </form>
  );
}
