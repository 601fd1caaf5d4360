import { useCallback, useMemo, useState } from 'react';
import type { StackBundle, StackReport, StackRequest, StackService } from '../../api/types.js';
import { SelectField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useLoad } from '../../hooks/use-load.js';
import { useSession } from '../../session/session.js';
import { StackResult } from './StackResult.js';

/** Saves a blob under its name through a temporary link (a download, not a navigation). */
function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function byCategory(services: StackService[]): [string, StackService[]][] {
  const groups = new Map<string, StackService[]>();
  for (const s of services) groups.set(s.category, [...(groups.get(s.category) ?? []), s]);
  return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

/** The docker-compose stack builder: pick services (or a template), check, generate, download. */
export function StackPage() {
  const { api, can } = useSession();
  const catalog = useLoad(useCallback(() => Promise.all([api.stack.catalog(), api.stack.templates()]), [api]));
  const [picked, setPicked] = useState<Set<string>>(() => new Set(['fieldline']));
  /** The template picked, while its services are left as they are (its settings then apply too). */
  const [template, setTemplate] = useState('');
  const [projectName, setProjectName] = useState('');
  const [domain, setDomain] = useState('');
  const [email, setEmail] = useState('');
  const [report, setReport] = useState<StackReport | null>(null);
  const [bundle, setBundle] = useState<StackBundle | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [downloaded, setDownloaded] = useState<string | null>(null);
  const groups = useMemo(() => byCategory(catalog.data?.[0].items ?? []), [catalog.data]);

  const request = (): StackRequest => {
    const settings: NonNullable<StackRequest['settings']> = {};
    if (projectName.trim()) settings.project_name = projectName.trim();
    if (domain.trim() || email.trim())
      settings.reverse_proxy = {
        ...(domain.trim() ? { base_domain: domain.trim() } : {}),
        ...(email.trim() ? { letsencrypt_email: email.trim() } : {}),
      };
    return {
      ...(template ? { template } : { instances: [...picked].sort().map((app_id) => ({ app_id })) }),
      ...(Object.keys(settings).length ? { settings } : {}),
    };
  };
  const run = async (action: () => Promise<void>) => {
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
  const toggle = (id: string) => {
    setTemplate('');
    setReport(null);
    setBundle(null);
    setPicked((p) => {
      const next = new Set(p);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };

  if (catalog.error) return <ProblemMessage error={catalog.error} />;
  if (!catalog.data) return <p>Loading…</p>;
  const templates = catalog.data[1].items;
  const operator = can('operator');
  return (
    <section aria-labelledby="stack-title">
      <h1 id="stack-title">Stack builder</h1>
      <p className="lead">
        Pick the services around Fieldline; the builder generates a docker-compose bundle with every integration between
        them configured (broker users, datasources, proxy routes, single sign-on, scrape jobs).
      </p>
      <div className="grid">
        <SelectField
          label="Start from a template"
          value={template}
          options={[
            { value: '', label: 'None: my own choice' },
            ...templates.map((t) => ({ value: t.id, label: t.name })),
          ]}
          hint={templates.find((t) => t.id === template)?.description}
          onChange={(e) => {
            const t = templates.find((x) => x.id === e.target.value);
            setTemplate(t ? t.id : '');
            if (t) setPicked(new Set(t.services));
            setReport(null);
            setBundle(null);
          }}
        />
        <TextField
          label="Project name (optional)"
          value={projectName}
          onChange={(e) => setProjectName(e.target.value)}
          hint="Names the compose project and the zip"
        />
        <TextField
          label="Base domain (optional)"
          value={domain}
          onChange={(e) => setDomain(e.target.value)}
          hint="Services get subdomains of it; default localhost"
        />
        <TextField
          label="Let's Encrypt email (optional)"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          hint="Needed for HTTPS (the full IIoT template)"
        />
      </div>
      <fieldset className="catalog">
        <legend>Services ({picked.size} chosen)</legend>
        {groups.map(([category, services]) => (
          <div key={category} className="catalog-group">
            <h2>{category.replace(/_/g, ' ')}</h2>
            <ul>
              {services.map((s) => (
                <li key={s.id}>
                  <input
                    id={`service-${s.id}`}
                    type="checkbox"
                    checked={picked.has(s.id)}
                    aria-describedby={`service-${s.id}-about`}
                    onChange={() => toggle(s.id)}
                  />{' '}
                  <label htmlFor={`service-${s.id}`}>
                    <strong>{s.name}</strong>
                  </label>
                  <div id={`service-${s.id}-about`} className="sub">
                    {s.description}
                  </div>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </fieldset>
      {!operator && (
        <p className="notice">Generating a stack creates credentials and needs the operator role or higher.</p>
      )}
      {operator && (
        <div className="buttons sticky-actions">
          <button
            type="button"
            disabled={busy || picked.size === 0}
            onClick={() => void run(async () => setReport(await api.stack.detect(request())))}
          >
            Check integrations
          </button>
          <button
            type="button"
            disabled={busy || picked.size === 0}
            onClick={() => void run(async () => setBundle(await api.stack.generate(request())))}
          >
            Generate
          </button>
          <button
            type="button"
            className="primary"
            disabled={busy || picked.size === 0}
            onClick={() =>
              void run(async () => {
                const { blob, filename } = await api.stack.download(request());
                save(blob, filename);
                setDownloaded(filename);
              })
            }
          >
            Download .zip
          </button>
        </div>
      )}
      <ProblemMessage error={error} />
      {downloaded && (
        <p role="status">
          Downloaded {downloaded}. Unzip it and run <code>docker compose up -d</code>.
        </p>
      )}
      <StackResult report={report} bundle={bundle} />
    </section>
  );
}
