import { type FormEvent, useState } from 'react';
import type { Alert } from '../../api/types.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useSession } from '../../session/session.js';

/** Acknowledge (with notes) and resolve one alert; operators and up. */
export function AlertActions({ alert, onChanged }: { alert: Alert; onChanged: (a: Alert) => void }) {
  const { api } = useSession();
  const [notes, setNotes] = useState('');
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<Alert>) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await action());
      setOpen(false);
      setNotes('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const acknowledge = (e: FormEvent) => {
    e.preventDefault();
    void run(() => api.alerts.acknowledge(alert.id, notes));
  };

  if (alert.status === 'resolved') return null;
  return (
    <div className="alert-actions">
      {alert.status === 'active' && !open && (
        <button type="button" onClick={() => setOpen(true)}>
          Acknowledge…
        </button>
      )}
      {open && (
        <form onSubmit={acknowledge} aria-label={`Acknowledge alert: ${alert.message}`}>
          <label>
            Notes
            <textarea rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
          </label>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy}>
              Acknowledge
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!open && (
        <button type="button" disabled={busy} onClick={() => void run(() => api.alerts.resolve(alert.id, ''))}>
          Resolve
        </button>
      )}
      <ProblemMessage error={error} />
    </div>
  );
}
