import { Link } from '../../router.js';
import { ApiKeysPanel } from './ApiKeysPanel.js';
import { AuditPanel } from './AuditPanel.js';
import { MembersPanel } from './MembersPanel.js';

type Tab = 'users' | 'api-keys' | 'audit';

const TABS: { id: Tab; to: string; label: string }[] = [
  { id: 'users', to: '/admin', label: 'Members' },
  { id: 'api-keys', to: '/admin/api-keys', label: 'API keys' },
  { id: 'audit', to: '/admin/audit', label: 'Audit log' },
];

/** The organization's members and roles, API keys, and audit log (admins and owners). */
export function AdminPage({ tab }: { tab: Tab }) {
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <nav aria-label="Administration" className="tabs">
        <ul className="menu">
          {TABS.map((t) => (
            <li key={t.id}>
              <Link to={t.to} aria-current={t.id === tab ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'users' && <MembersPanel />}
      {tab === 'api-keys' && <ApiKeysPanel />}
      {tab === 'audit' && <AuditPanel />}
    </section>
  );
}
