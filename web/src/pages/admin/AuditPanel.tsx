import { useCallback, useState } from 'react';
import { TextField } from '../../components/Field.js';
import { Pager } from '../../components/Pager.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useCursorPages } from '../../hooks/use-cursor-pages.js';
import { useDebounced } from '../../hooks/use-debounced.js';
import { useSession } from '../../session/session.js';

/** Who did what, newest first, filtered by action or resource type. */
export function AuditPanel() {
  const { api } = useSession();
  const [filter, setFilter] = useState({ action: '', resource_type: '' });
  const settled = useDebounced(filter);
  const pages = useCursorPages(
    useCallback(
      (cursor: string | null) =>
        api.audit.list({ cursor, action: settled.action.trim(), resource_type: settled.resource_type.trim() }),
      [api, settled],
    ),
  );
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form className="filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Action"
          placeholder="device.created"
          value={filter.action}
          onChange={(e) => setFilter({ ...filter, action: e.target.value })}
        />
        <TextField
          label="Resource type"
          placeholder="device"
          value={filter.resource_type}
          onChange={(e) => setFilter({ ...filter, resource_type: e.target.value })}
        />
      </form>
      <ProblemMessage error={pages.error} />
      {pages.items && pages.items.length === 0 && <p className="empty">Nothing recorded.</p>}
      {pages.items && pages.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Audit log</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Details</th>
              <th scope="col">Address</th>
            </tr>
          </thead>
          <tbody>
            {pages.items.map((e) => (
              <tr key={e.id}>
                <td>
                  <Time iso={e.created_at} />
                </td>
                <td>
                  {e.actor_name ?? e.actor_id ?? '—'} <span className="sub">({e.actor_type})</span>
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.resource_type} {e.resource_id && <code className="sub">{e.resource_id}</code>}
                </td>
                <td>{e.details && <code className="details">{JSON.stringify(e.details)}</code>}</td>
                <td>{e.ip ?? ''}</td>
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
    </section>
  );
}
