import { useEffect, useRef, useState } from 'react';
import type { TelemetryUpdatePayload } from '../../api/realtime.js';
import type { TelemetryPoint } from '../../api/types.js';
import { useOnConnect, useRealtimeEvent, useSession } from '../../session/session.js';
import { type ChartSeries, historyQuery, mergeUpdate, type RangeId, seriesFromHistory } from './chart-data.js';

export type LiveSubscription = { state: 'waiting' } | { state: 'subscribed' } | { state: 'refused'; error: string };

/** Latest value per key; an update older than what is shown (a back-fill) does not replace it. */
function mergeLatest(
  latest: Record<string, TelemetryPoint>,
  u: TelemetryUpdatePayload,
): Record<string, TelemetryPoint> {
  const next = { ...latest };
  for (const [key, value] of Object.entries(u.values)) {
    const shown = next[key];
    if (!shown || Date.parse(shown.ts) <= Date.parse(u.ts)) next[key] = { ts: u.ts, value };
  }
  return next;
}

/**
 * A device's telemetry on screen: latest values and chart series from the API, then every `telemetry_update`
 * of the device merged in as it arrives. Updates that arrive while the history loads are applied on top of it,
 * so nothing is lost between the query and the subscription.
 */
export function useDeviceTelemetry(deviceId: string, range: RangeId) {
  const { api, socket } = useSession();
  const [series, setSeries] = useState<ChartSeries>({});
  const [latest, setLatest] = useState<Record<string, TelemetryPoint>>({});
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [subscription, setSubscription] = useState<LiveSubscription>({ state: 'waiting' });
  const sinceRequest = useRef<TelemetryUpdatePayload[]>([]);

  useEffect(() => {
    let current = true;
    sinceRequest.current = [];
    setLoading(true);
    Promise.all([
      api.telemetry.history(deviceId, historyQuery(range, Date.now())),
      api.telemetry.latest(deviceId),
    ]).then(
      ([history, last]) => {
        if (!current) return;
        let s = seriesFromHistory(history.series);
        let l = last.values;
        for (const u of sinceRequest.current) {
          s = mergeUpdate(s, u);
          l = mergeLatest(l, u);
        }
        setSeries(s);
        setLatest(l);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [api, deviceId, range]);

  useRealtimeEvent('telemetry_update', (u) => {
    if (u.device_id !== deviceId) return;
    sinceRequest.current.push(u);
    setSeries((s) => mergeUpdate(s, u));
    setLatest((l) => mergeLatest(l, u));
  });

  // Subscriptions belong to a connection: subscribe again after every reconnection.
  useOnConnect(() => {
    setSubscription({ state: 'waiting' });
    socket.emit('subscribe_device', { device_id: deviceId }, (ack) =>
      setSubscription(ack.ok ? { state: 'subscribed' } : { state: 'refused', error: ack.error }),
    );
  });
  useRealtimeEvent('device_update', (u) => {
    if (u.device_id === deviceId && u.action === 'deleted') setSubscription({ state: 'refused', error: 'deleted' });
  });
  useEffect(() => {
    const lost = () => setSubscription({ state: 'waiting' });
    socket.on('disconnect', lost);
    return () => {
      socket.off('disconnect', lost);
      if (socket.connected) socket.emit('unsubscribe_device', { device_id: deviceId });
    };
  }, [socket, deviceId]);

  return { series, latest, error, loading, subscription };
}
