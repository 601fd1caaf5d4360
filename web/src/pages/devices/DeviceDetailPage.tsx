import { useCallback, useState } from 'react';
import { Badge } from '../../components/Badge.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { SelectField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useLoad } from '../../hooks/use-load.js';
import { Link, navigate } from '../../router.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { CommandPanel } from './CommandPanel.js';
import { RANGES, type RangeId } from './chart-data.js';
import { LatestValues } from './LatestValues.js';
import { TelemetryChart } from './TelemetryChart.js';
import { useDeviceTelemetry } from './use-device-telemetry.js';

const MAX_CHARTS = 12;

/** One device: what it is, its presence, latest values, live charts, commands; delete for admins. */
export function DeviceDetailPage({ id }: { id: string }) {
  const { api, can } = useSession();
  const device = useLoad(useCallback(() => api.devices.get(id), [api, id]));
  const [range, setRange] = useState<RangeId>('1h');
  const telemetry = useDeviceTelemetry(id, range);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  useRealtimeEvent('device_status', (s) => {
    if (s.device_id === id) device.live((d) => ({ ...d, status: s.status, last_seen: s.ts }));
  });
  useReconnected(device.refresh);
  useRealtimeEvent('device_update', (u) => {
    if (u.device_id === id && u.action === 'updated') device.refresh();
  });

  const remove = async () => {
    try {
      await api.devices.remove(id);
      navigate('/devices');
    } catch (err) {
      setDeleteError(err);
    }
  };

  if (device.error) {
    return (
      <section>
        <p>
          <Link to="/devices">← Devices</Link>
        </p>
        <ProblemMessage error={device.error} />
      </section>
    );
  }
  const d = device.data;
  if (!d) return <p>Loading…</p>;
  const keys = Object.keys(telemetry.series).sort().slice(0, MAX_CHARTS);
  const sub = telemetry.subscription;
  return (
    <section aria-labelledby="device-title">
      <p>
        <Link to="/devices">← Devices</Link>
      </p>
      <div className="page-head">
        <h1 id="device-title">
          {d.name} <Badge value={d.status} />
        </h1>
        {can('admin') && (
          <ConfirmButton confirm={`Delete ${d.name} for good`} onConfirm={() => void remove()}>
            Delete device
          </ConfirmButton>
        )}
      </div>
      <ProblemMessage error={deleteError} />
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>Type</dt>
        <dd>{d.device_type}</dd>
        <dt>Location</dt>
        <dd>{d.location ?? '—'}</dd>
        <dt>Last seen</dt>
        <dd>
          <Time iso={d.last_seen} empty="never" />
        </dd>
        <dt>Protocol</dt>
        <dd>{d.protocol ?? '—'}</dd>
        <dt>Active</dt>
        <dd>{d.active ? 'yes' : 'no (data refused)'}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={d.created_at} />
        </dd>
        {Object.keys(d.metadata).length > 0 && (
          <>
            <dt>Metadata</dt>
            <dd>
              <code>{JSON.stringify(d.metadata)}</code>
            </dd>
          </>
        )}
        {Object.keys(d.attributes).length > 0 && (
          <>
            <dt>Attributes</dt>
            <dd>
              <code>{JSON.stringify(d.attributes)}</code>
            </dd>
          </>
        )}
        {d.last_error && (
          <>
            <dt>Last refusal</dt>
            <dd>
              {d.last_error.message} (<Time iso={d.last_error.at} />)
            </dd>
          </>
        )}
      </dl>

      <h2>Latest values</h2>
      <p className="live-note" data-testid="telemetry-live" data-state={sub.state}>
        {sub.state === 'subscribed'
          ? 'Live: new values appear as the device sends them.'
          : sub.state === 'waiting'
            ? 'Connecting to live updates…'
            : `No live updates: ${sub.error}`}
      </p>
      <ProblemMessage error={telemetry.error} />
      <LatestValues values={telemetry.latest} />

      <div className="page-head">
        <h2>Charts</h2>
        <SelectField
          label="Range"
          value={range}
          onChange={(e) => setRange(e.target.value as RangeId)}
          options={RANGES.map((r) => ({ value: r.id, label: r.label }))}
        />
      </div>
      {!telemetry.loading && keys.length === 0 && <p className="empty">No numeric telemetry in this range.</p>}
      <div className="charts">
        {keys.map((k) => {
          const s = telemetry.series[k];
          return s ? <TelemetryChart key={k} name={k} series={s} /> : null;
        })}
      </div>

      <CommandPanel deviceId={d.id} />
    </section>
  );
}
