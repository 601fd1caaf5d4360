import type { StackBundle, StackConflict, StackReport } from '../../api/types.js';

function Conflicts({ conflicts }: { conflicts: StackConflict[] }) {
  if (conflicts.length === 0) return null;
  return (
    <>
      <h3>Conflicts</h3>
      <ul>
        {conflicts.map((c) => (
          <li key={`${c.type}:${c.message}`} className={c.severity === 'error' ? 'error-text' : ''}>
            {c.message}
            {c.resolution && <div className="sub">{c.resolution}</div>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** What the builder found (integrations, conflicts, recommendations) and generated (files, secrets, steps). */
export function StackResult({ report, bundle }: { report: StackReport | null; bundle: StackBundle | null }) {
  return (
    <>
      {report && (
        <section className="panel" aria-labelledby="report-title">
          <h2 id="report-title">Integrations found</h2>
          {report.integrations.length === 0 ? (
            <p className="empty">None between these services.</p>
          ) : (
            <ul>
              {report.integrations.map((i) => (
                <li key={`${i.kind}:${i.provider.instance_name}`}>
                  <strong>{i.display_name}</strong>: {i.provider.instance_name} →{' '}
                  {i.consumers.map((c) => c.instance_name).join(', ') || 'nobody yet'}
                </li>
              ))}
            </ul>
          )}
          <Conflicts conflicts={report.conflicts} />
          {report.recommendations.length > 0 && (
            <>
              <h3>Recommendations</h3>
              <ul>
                {report.recommendations.map((r) => (
                  <li key={`${r.app_id}:${r.reason}`}>
                    Add <strong>{r.app_id}</strong>: {r.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      {bundle && (
        <section className="panel" aria-labelledby="bundle-title">
          <h2 id="bundle-title">Generated bundle ({bundle.files.length} files)</h2>
          {bundle.warnings.length > 0 && (
            <ul className="warnings">
              {bundle.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <Conflicts conflicts={bundle.conflicts} />
          <h3>Services</h3>
          <ul>
            {bundle.services.map((s) => (
              <li key={s.name}>
                <strong>{s.name}</strong> <code>{s.image}</code> {s.url && <span className="sub">{s.url}</span>}
              </li>
            ))}
          </ul>
          <h3>Files</h3>
          {bundle.files.map((f) => (
            <details key={f.path}>
              <summary>
                <code>{f.path}</code>
              </summary>
              <pre>{f.content}</pre>
            </details>
          ))}
          {bundle.post_start.length > 0 && (
            <>
              <h3>After the first start</h3>
              <ul>
                {bundle.post_start.map((p) => (
                  <li key={p.script}>
                    <code>{p.script}</code> — {p.description}
                  </li>
                ))}
              </ul>
            </>
          )}
          <p className="hint">
            The generated secrets are in the bundle's .env file ({bundle.secrets.length} of them); keep it private.
          </p>
        </section>
      )}
    </>
  );
}
