import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { CreatedDevice } from '../../api/types.js';
import { TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { ShownOnce } from '../../components/ShownOnce.js';
import { Link } from '../../router.js';
import { useSession } from '../../session/session.js';

/** Adds a device; its access token is shown once, with a copy button. */
export function CreateDeviceForm({ onCreated, onClose }: { onCreated: () => void; onClose: () => void }) {
  const { api } = useSession();
  const [fields, setFields] = useState({ id: '', name: '', device_type: '', location: '' });
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedDevice | null>(null);
  const [busy, setBusy] = useState(false);
  const field = (name: string) => (error instanceof ApiError ? error.fieldMessage(name) : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCreated(
        await api.devices.create({
          name: fields.name.trim(),
          ...(fields.id.trim() ? { id: fields.id.trim() } : {}),
          ...(fields.device_type.trim() ? { device_type: fields.device_type.trim() } : {}),
          ...(fields.location.trim() ? { location: fields.location.trim() } : {}),
        }),
      );
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <div className="panel">
        <p role="status">
          Device <Link to={`/devices/${encodeURIComponent(created.id)}`}>{created.name}</Link> (
          <code>{created.id}</code>) created.
        </p>
        <ShownOnce
          title="Device access token"
          label="Access token"
          secret={created.credentials.access_token}
          onDone={onClose}
        />
        <p className="hint">
          The device logs in to MQTT with this token as username, or posts to{' '}
          <code>/api/v1/&lt;token&gt;/telemetry</code>. A lost token can be replaced (rotated), not shown again.
        </p>
      </div>
    );
  }
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="new-device-title">
      <h2 id="new-device-title">New device</h2>
      <div className="grid">
        <TextField
          label="Name"
          required
          value={fields.name}
          error={field('name')}
          onChange={(e) => setFields({ ...fields, name: e.target.value })}
        />
        <TextField
          label="Id (optional)"
          hint="Letters, digits, . _ : - ; generated when empty"
          value={fields.id}
          error={field('id')}
          onChange={(e) => setFields({ ...fields, id: e.target.value })}
        />
        <TextField
          label="Type (optional)"
          value={fields.device_type}
          error={field('device_type')}
          onChange={(e) => setFields({ ...fields, device_type: e.target.value })}
        />
        <TextField
          label="Location (optional)"
          value={fields.location}
          error={field('location')}
          onChange={(e) => setFields({ ...fields, location: e.target.value })}
        />
      </div>
      <ProblemMessage error={error} />
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          Create device
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
