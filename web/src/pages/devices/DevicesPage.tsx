import { useCallback, useState } from 'react';
import type { DeviceFilter } from '../../api/fieldline-api.js';
import { Badge } from '../../components/Badge.js';
import { SelectField, TextField } from '../../components/Field.js';
import { Pager } from '../../components/Pager.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Time } from '../../components/Time.js';
import { useCursorPages } from '../../hooks/use-cursor-pages.js';
import { useDebounced } from '../../hooks/use-debounced.js';
import { Link } from '../../router.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { CreateDeviceForm } from './CreateDeviceForm.js';

const PAGE_SIZE = 50;

/** The device registry: filter, page through, see presence change live, add a device (admins). */
export function DevicesPage() {
  const { api, can } = useSession();
  const [filter, setFilter] = useState<Required<Pick<DeviceFilter, 'device_type' | 'status' | 'search'>>>({
    device_type: '',
    status: '',
    search: '',
  });
  const [creating, setCreating] = useState(false);
  const settled = useDebounced(filter);
  const fetchPage = useCallback(
    (cursor: string | null) => api.devices.list({ ...settled, cursor, limit: PAGE_SIZE }),
    [api, settled],
  );
  const pages = useCursorPages(fetchPage);

  useRealtimeEvent('device_status', (s) =>
    pages.setItems((items) =>
      items.map((d) => (d.id === s.device_id ? { ...d, status: s.status, last_seen: s.ts } : d)),
    ),
  );
  useRealtimeEvent('device_update', (u) => {
    if (u.action === 'deleted') pages.setItems((items) => items.filter((d) => d.id !== u.device_id));
    // A device added elsewhere: the first page shows it (ids are time-ordered, so it may belong on a later one).
    else if (u.action === 'created' && pages.page === 1) pages.refresh();
  });
  useReconnected(pages.refresh);

  return (
    <section aria-labelledby="devices-title">
      <div className="page-head">
        <h1 id="devices-title">Devices</h1>
        {can('admin') && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Add device
          </button>
        )}
      </div>
      {creating && <CreateDeviceForm onCreated={pages.reload} onClose={() => setCreating(false)} />}
      <form className="filters" aria-label="Filter devices" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Name or id"
          type="search"
          value={filter.search}
          onChange={(e) => setFilter({ ...filter, search: e.target.value })}
        />
        <TextField
          label="Type"
          value={filter.device_type}
          onChange={(e) => setFilter({ ...filter, device_type: e.target.value })}
        />
        <SelectField
          label="Status"
          value={filter.status}
          onChange={(e) => setFilter({ ...filter, status: e.target.value as DeviceFilter['status'] & string })}
          options={[
            { value: '', label: 'Any' },
            { value: 'online', label: 'Online' },
            { value: 'offline', label: 'Offline' },
          ]}
        />
      </form>
      <ProblemMessage error={pages.error} />
      {pages.items && pages.items.length === 0 && <p className="empty">No devices match.</p>}
      {pages.items && pages.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Devices</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
              <th scope="col">Location</th>
            </tr>
          </thead>
          <tbody>
            {pages.items.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/devices/${encodeURIComponent(d.id)}`}>{d.name}</Link>
                  {!d.active && <span className="sub"> (inactive)</span>}
                </td>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{d.device_type}</td>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>
                  <Time iso={d.last_seen} empty="never" />
                </td>
                <td>{d.location ?? ''}</td>
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
