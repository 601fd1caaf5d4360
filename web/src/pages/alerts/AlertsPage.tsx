import { useCallback, useMemo, useState } from 'react';
import { SelectField, TextField } from '../../components/Field.js';
import { Pager } from '../../components/Pager.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useCursorPages } from '../../hooks/use-cursor-pages.js';
import { useDebounced } from '../../hooks/use-debounced.js';
import { useRealtimeEvent, useReconnected, useSession } from '../../session/session.js';
import { AlertActions } from './AlertActions.js';
import { AlertTable } from './AlertTable.js';
import { type AlertFilter, applyAlertEvent, upsertAlert } from './alert-list.js';

const PAGE_SIZE = 50;

/** Alerts, newest first, filtered; new and changed alerts appear live; operators acknowledge and resolve. */
export function AlertsPage() {
  const { api, can } = useSession();
  const [filter, setFilter] = useState<AlertFilter>({ status: 'open', severity: '', device_id: '' });
  const debounced = useDebounced(filter);
  // The filters of the list on screen: what was fetched is what live events are matched against.
  const settled = useMemo(() => ({ ...debounced, device_id: debounced.device_id.trim() }), [debounced]);
  const fetchPage = useCallback(
    (cursor: string | null) => api.alerts.list({ ...settled, cursor, limit: PAGE_SIZE }),
    [api, settled],
  );
  const pages = useCursorPages(fetchPage);

  // Live alerts go into the first page only; further pages are older alerts.
  const onEvent = (p: Parameters<typeof applyAlertEvent>[1]) => {
    if (pages.page === 1) pages.setItems((items) => applyAlertEvent(items, p, settled));
    else pages.setItems((items) => (items.some((a) => a.id === p.id) ? applyAlertEvent(items, p, settled) : items));
  };
  useRealtimeEvent('alert', (p) => {
    onEvent(p);
    // The event names the device by id only; the table shows its name, as the API's list does.
    if (p.device_id)
      api.devices.get(p.device_id).then(
        (d) => pages.setItems((items) => items.map((a) => (a.device_id === d.id ? { ...a, device_name: d.name } : a))),
        () => {},
      );
  });
  useRealtimeEvent('alert_update', onEvent);
  useReconnected(pages.refresh);

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <form className="filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Status"
          value={filter.status}
          onChange={(e) => setFilter({ ...filter, status: e.target.value as AlertFilter['status'] })}
          options={[
            { value: 'open', label: 'Open (active or acknowledged)' },
            { value: 'active', label: 'Active' },
            { value: 'acknowledged', label: 'Acknowledged' },
            { value: 'resolved', label: 'Resolved' },
            { value: '', label: 'Any' },
          ]}
        />
        <SelectField
          label="Severity"
          value={filter.severity}
          onChange={(e) => setFilter({ ...filter, severity: e.target.value as AlertFilter['severity'] })}
          options={[
            { value: '', label: 'Any' },
            { value: 'critical', label: 'Critical' },
            { value: 'warning', label: 'Warning' },
            { value: 'info', label: 'Info' },
          ]}
        />
        <TextField
          label="Device id"
          value={filter.device_id}
          onChange={(e) => setFilter({ ...filter, device_id: e.target.value })}
        />
      </form>
      <ProblemMessage error={pages.error} />
      {pages.items && (
        <AlertTable
          alerts={pages.items}
          caption="Alerts"
          {...(can('operator')
            ? {
                actions: (a) => (
                  <AlertActions
                    alert={a}
                    onChanged={(changed) => pages.setItems((items) => upsertAlert(items, changed, settled))}
                  />
                ),
              }
            : {})}
        />
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
