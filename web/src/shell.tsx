import type { ReactNode } from 'react';
import type { Role } from './api/types.js';
import { AdminPage } from './pages/admin/AdminPage.js';
import { AlertsPage } from './pages/alerts/AlertsPage.js';
import { DeviceDetailPage } from './pages/devices/DeviceDetailPage.js';
import { DevicesPage } from './pages/devices/DevicesPage.js';
import { IntegrationDetailPage } from './pages/integrations/IntegrationDetailPage.js';
import { IntegrationsPage } from './pages/integrations/IntegrationsPage.js';
import { NewMqttIntegrationPage } from './pages/integrations/NewMqttIntegrationPage.js';
import { OverviewPage } from './pages/overview/OverviewPage.js';
import { RuleEditPage } from './pages/rules/RuleEditPage.js';
import { RulesPage } from './pages/rules/RulesPage.js';
import { StackPage } from './pages/stack/StackPage.js';
import { Link, matchPath, usePath } from './router.js';
import { type LiveState, useSession } from './session/session.js';

interface Route {
  pattern: string;
  render: (params: Record<string, string>) => ReactNode;
  minimum?: Role;
}

const ROUTES: Route[] = [
  { pattern: '/', render: () => <OverviewPage /> },
  { pattern: '/devices', render: () => <DevicesPage /> },
  { pattern: '/devices/:id', render: (p) => <DeviceDetailPage key={p.id} id={p.id ?? ''} /> },
  { pattern: '/alerts', render: () => <AlertsPage /> },
  { pattern: '/rules', render: () => <RulesPage /> },
  { pattern: '/rules/new', render: () => <RuleEditPage id={null} />, minimum: 'admin' },
  { pattern: '/rules/:id', render: (p) => <RuleEditPage key={p.id} id={p.id ?? null} /> },
  { pattern: '/integrations', render: () => <IntegrationsPage /> },
  { pattern: '/integrations/new', render: () => <NewMqttIntegrationPage />, minimum: 'admin' },
  { pattern: '/integrations/:id', render: (p) => <IntegrationDetailPage key={p.id} id={p.id ?? ''} /> },
  { pattern: '/stack', render: () => <StackPage /> },
  { pattern: '/admin', render: () => <AdminPage tab="users" />, minimum: 'admin' },
  { pattern: '/admin/api-keys', render: () => <AdminPage tab="api-keys" />, minimum: 'admin' },
  { pattern: '/admin/audit', render: () => <AdminPage tab="audit" />, minimum: 'admin' },
];

const NAV: { to: string; label: string; minimum?: Role }[] = [
  { to: '/', label: 'Overview' },
  { to: '/devices', label: 'Devices' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/rules', label: 'Rules' },
  { to: '/integrations', label: 'Integrations' },
  { to: '/stack', label: 'Stack builder' },
  { to: '/admin', label: 'Administration', minimum: 'admin' },
];

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', offline: 'Offline' };

const isCurrent = (to: string, path: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));

/** The logged-in layout: navigation, who is logged in, the live connection, and the page of the path. */
export function Shell() {
  const path = usePath();
  const { me, can, live, logout } = useSession();
  let page: ReactNode = <NotFound />;
  for (const r of ROUTES) {
    const params = matchPath(r.pattern, path);
    if (!params) continue;
    page = r.minimum && !can(r.minimum) ? <Forbidden minimum={r.minimum} /> : r.render(params);
    break;
  }
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" /> Fieldline
        </Link>
        <nav aria-label="Main">
          <ul className="menu">
            {NAV.filter((n) => !n.minimum || can(n.minimum)).map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={isCurrent(n.to, path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className={`live live-${live}`} role="status" title="Live updates over Socket.IO">
            {LIVE_TEXT[live]}
          </span>
          <span>
            {me.display_name ?? me.name} · {me.role} · {me.organization.name}
          </span>
          <button type="button" onClick={() => logout()}>
            Log out
          </button>
        </div>
      </header>
      <main id="main">{page}</main>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}

function Forbidden({ minimum }: { minimum: Role }) {
  return (
    <section>
      <h1>Not allowed</h1>
      <p>This page needs the {minimum} role or higher.</p>
    </section>
  );
}
