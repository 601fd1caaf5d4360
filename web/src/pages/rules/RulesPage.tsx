import { useCallback, useState } from 'react';
import type { Rule } from '../../api/types.js';
import { Badge } from '../../components/Badge.js';
import { Pager } from '../../components/Pager.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useCursorPages } from '../../hooks/use-cursor-pages.js';
import { Link } from '../../router.js';
import { useSession } from '../../session/session.js';

const targetOf = (r: Rule) =>
  r.device_id !== null ? `device ${r.device_id}` : r.device_type !== null ? `type ${r.device_type}` : 'all devices';

/** The organization's rules; operators switch them on and off, admins write them. */
export function RulesPage() {
  const { api, can } = useSession();
  const pages = useCursorPages(useCallback((cursor: string | null) => api.rules.list(cursor), [api]));
  const [error, setError] = useState<unknown>(null);

  const toggle = async (rule: Rule) => {
    setError(null);
    try {
      const changed = await api.rules.toggle(rule.id, !rule.enabled);
      pages.setItems((items) => items.map((r) => (r.id === changed.id ? changed : r)));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="rules-title">
      <div className="page-head">
        <h1 id="rules-title">Rules</h1>
        {can('admin') && (
          <Link to="/rules/new" className="button primary">
            New rule
          </Link>
        )}
      </div>
      <ProblemMessage error={pages.error ?? error} />
      {pages.items && pages.items.length === 0 && <p className="empty">No rules yet.</p>}
      {pages.items && pages.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Rules</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Applies to</th>
              <th scope="col">Severity</th>
              <th scope="col">Enabled</th>
            </tr>
          </thead>
          <tbody>
            {pages.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/rules/${encodeURIComponent(r.id)}`}>{r.name}</Link>
                  {r.description && <div className="sub">{r.description}</div>}
                </td>
                <td>{r.rule_type.replace('_', ' ')}</td>
                <td>{targetOf(r)}</td>
                <td>
                  <Badge value={r.severity} />
                </td>
                <td>
                  {can('operator') ? (
                    <label className="switch">
                      <input
                        type="checkbox"
                        role="switch"
                        checked={r.enabled}
                        aria-checked={r.enabled}
                        onChange={() => void toggle(r)}
                        aria-label={`${r.name} enabled`}
                      />
                      {r.enabled ? 'on' : 'off'}
                    </label>
                  ) : r.enabled ? (
                    'on'
                  ) : (
                    'off'
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
    </section>
  );
}
