import { dashboard, type Json, panel, prom, sql, sqlVariable } from './panels.js';

/*
 * Fieldline's four dashboards. SQL panels read Fieldline's PostgreSQL schema: times are epoch-millisecond
 * bigints, so ranges use Grafana's `$__from`/`$__to` (epoch ms) and buckets `$__interval_ms`; points are
 * `telemetry(series_id, ts, num, str, kind)` joined to `telemetry_series(id, device_id, key)`. Variables
 * are formatted with `:sqlstring` (quoted and escaped), so single and multiple values both work with IN.
 * Prometheus panels use the metrics of /metrics (src/observability/metrics.ts), summed over nodes.
 */

const ORG = `\${organization:sqlstring}`;
const DEVICE = `\${device:sqlstring}`;
const KEY = `\${key:sqlstring}`;
const bucket = (column: string) => `to_timestamp(((${column} / $__interval_ms) * $__interval_ms) / 1000.0)`;
const inRange = (column: string) => `${column} >= $__from AND ${column} < $__to`;
const RATE = '[$__rate_interval]';

const organizationVariable = () =>
  sqlVariable('organization', 'Organization', 'SELECT name AS __text, id AS __value FROM organizations ORDER BY name', {
    multi: true,
    includeAll: true,
  });

const GREEN = { color: 'green', value: null };

export function deviceOverview(): Json {
  return dashboard({
    uid: 'fieldline-device-overview',
    title: 'Fieldline · Device Overview',
    description: 'Devices, their status and activity, active alerts and rules.',
    variables: [organizationVariable()],
    panels: [
      panel({
        title: 'Devices',
        type: 'stat',
        grid: [0, 0, 6, 4],
        targets: [sql('A', `SELECT count(*) AS "Devices" FROM devices WHERE organization_id IN (${ORG})`)],
      }),
      panel({
        title: 'Online',
        type: 'stat',
        grid: [6, 0, 6, 4],
        thresholds: [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
        ],
        targets: [
          sql(
            'A',
            `SELECT count(*) AS "Online" FROM devices
             WHERE organization_id IN (${ORG}) AND status = 'online' AND active = 1`,
          ),
        ],
      }),
      panel({
        title: 'Active alerts',
        type: 'stat',
        grid: [12, 0, 6, 4],
        thresholds: [GREEN, { color: 'orange', value: 1 }, { color: 'red', value: 10 }],
        targets: [
          sql(
            'A',
            `SELECT count(*) AS "Active alerts" FROM alerts
             WHERE organization_id IN (${ORG}) AND status <> 'resolved'`,
          ),
        ],
      }),
      panel({
        title: 'Active rules',
        type: 'stat',
        grid: [18, 0, 6, 4],
        targets: [
          sql(
            'A',
            `SELECT count(*) AS "Active rules" FROM rules
             WHERE organization_id IN (${ORG}) AND enabled = 1`,
          ),
        ],
      }),
      panel({
        title: 'Device status',
        type: 'table',
        grid: [0, 4, 24, 9],
        description: 'Most recently seen first.',
        targets: [
          sql(
            'A',
            `SELECT d.name AS "Device", d.id AS "ID", d.device_type AS "Type",
               CASE WHEN d.active = 1 THEN d.status ELSE 'inactive' END AS "Status",
               to_timestamp(d.last_seen / 1000.0) AS "Last seen", d.protocol AS "Protocol",
               d.last_error AS "Last error", o.name AS "Organization"
             FROM devices d JOIN organizations o ON o.id = d.organization_id
             WHERE d.organization_id IN (${ORG})
             ORDER BY d.last_seen DESC NULLS LAST, d.name
             LIMIT 100`,
          ),
        ],
      }),
      panel({
        title: 'Telemetry activity (24 h)',
        type: 'timeseries',
        grid: [0, 13, 16, 8],
        timeFrom: '24h',
        description: 'Points stored per interval.',
        targets: [
          sql(
            'A',
            `SELECT ${bucket('t.ts')} AS time, count(*) AS "points"
             FROM telemetry t
             JOIN telemetry_series s ON s.id = t.series_id
             JOIN devices d ON d.id = s.device_id
             WHERE ${inRange('t.ts')} AND d.organization_id IN (${ORG})
             GROUP BY 1 ORDER BY 1`,
            'time_series',
          ),
        ],
      }),
      panel({
        title: 'Alerts by severity',
        type: 'piechart',
        grid: [16, 13, 8, 8],
        description: 'Alerts raised in the time range.',
        targets: [
          sql(
            'A',
            `SELECT severity AS "Severity", count(*) AS "Alerts" FROM alerts
             WHERE organization_id IN (${ORG}) AND ${inRange('created_at')}
             GROUP BY severity ORDER BY severity`,
          ),
        ],
      }),
      panel({
        title: 'Devices online over time',
        type: 'timeseries',
        grid: [0, 21, 24, 7],
        targets: [prom('A', 'sum by (status) (fieldline_devices)', '{{status}}')],
      }),
    ],
  });
}

export function telemetry(): Json {
  return dashboard({
    uid: 'fieldline-telemetry',
    title: 'Fieldline · Telemetry',
    description: 'Time series per key of one device, and the latest readings.',
    time: '6h',
    variables: [
      organizationVariable(),
      sqlVariable(
        'device',
        'Device',
        `SELECT name AS __text, id AS __value FROM devices WHERE organization_id IN (${ORG}) ORDER BY name`,
        { multi: false, includeAll: false },
      ),
      sqlVariable(
        'key',
        'Key',
        `SELECT DISTINCT key AS __text, key AS __value FROM telemetry_series WHERE device_id IN (${DEVICE}) ORDER BY key`,
        { multi: true, includeAll: true },
      ),
    ],
    panels: [
      panel({
        title: '$key',
        type: 'timeseries',
        grid: [0, 0, 12, 8],
        repeat: 'key',
        description: 'Average, minimum and maximum per interval (numbers and booleans as 0/1).',
        targets: [
          sql(
            'A',
            `SELECT ${bucket('t.ts')} AS time, avg(t.num) AS "avg", min(t.num) AS "min", max(t.num) AS "max"
             FROM telemetry t JOIN telemetry_series s ON s.id = t.series_id
             WHERE s.device_id IN (${DEVICE}) AND s.key IN (${KEY}) AND ${inRange('t.ts')} AND t.num IS NOT NULL
             GROUP BY 1 ORDER BY 1`,
            'time_series',
          ),
        ],
      }),
      panel({
        title: 'Latest readings of the device',
        type: 'table',
        grid: [0, 8, 10, 10],
        targets: [
          sql(
            'A',
            `SELECT s.key AS "Key", COALESCE(CAST(l.num AS text), l.str) AS "Value",
               to_timestamp(l.ts / 1000.0) AS "Time"
             FROM telemetry_latest l JOIN telemetry_series s ON s.id = l.series_id
             WHERE s.device_id IN (${DEVICE})
             ORDER BY s.key LIMIT 500`,
          ),
        ],
      }),
      panel({
        title: 'Latest readings (50 most recent)',
        type: 'table',
        grid: [10, 8, 14, 10],
        targets: [
          sql(
            'A',
            `SELECT to_timestamp(l.ts / 1000.0) AS "Time", d.name AS "Device", s.key AS "Key",
               COALESCE(CAST(l.num AS text), l.str) AS "Value"
             FROM telemetry_latest l
             JOIN telemetry_series s ON s.id = l.series_id
             JOIN devices d ON d.id = s.device_id
             WHERE d.organization_id IN (${ORG})
             ORDER BY l.ts DESC LIMIT 50`,
          ),
        ],
      }),
    ],
  });
}

export function alertsAndRules(): Json {
  const alertsInRange = `a.organization_id IN (${ORG}) AND ${inRange('a.created_at')}`;
  return dashboard({
    uid: 'fieldline-alerts-rules',
    title: 'Fieldline · Alerts & Rules',
    description: 'Alert frequency, acknowledgement, recent alerts, the rules and devices behind them.',
    variables: [organizationVariable()],
    panels: [
      panel({
        title: 'Alert frequency by severity',
        type: 'timeseries',
        grid: [0, 0, 16, 8],
        options: {
          legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
          tooltip: { mode: 'multi' },
        },
        fieldConfig: { defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' }, fillOpacity: 80 } } },
        targets: [
          sql(
            'A',
            `SELECT ${bucket('a.created_at')} AS time, a.severity AS metric, count(*) AS value
             FROM alerts a WHERE ${alertsInRange}
             GROUP BY 1, 2 ORDER BY 1`,
            'time_series',
          ),
        ],
      }),
      panel({
        title: 'Alerts in range',
        type: 'stat',
        grid: [16, 0, 4, 4],
        targets: [sql('A', `SELECT count(*) AS "Alerts" FROM alerts a WHERE ${alertsInRange}`)],
      }),
      panel({
        title: 'Acknowledgement rate',
        type: 'stat',
        grid: [20, 0, 4, 4],
        unit: 'percent',
        thresholds: [
          { color: 'red', value: null },
          { color: 'orange', value: 50 },
          { color: 'green', value: 90 },
        ],
        targets: [
          sql(
            'A',
            `SELECT CASE WHEN count(*) = 0 THEN NULL
               ELSE 100.0 * count(a.acknowledged_at) / count(*) END AS "Acknowledged"
             FROM alerts a WHERE ${alertsInRange}`,
          ),
        ],
      }),
      panel({
        title: 'Mean time to acknowledge',
        type: 'stat',
        grid: [16, 4, 4, 4],
        unit: 's',
        targets: [
          sql(
            'A',
            `SELECT avg((a.acknowledged_at - a.created_at) / 1000.0) AS "MTTA"
             FROM alerts a WHERE ${alertsInRange} AND a.acknowledged_at IS NOT NULL`,
          ),
        ],
      }),
      panel({
        title: 'Open alerts',
        type: 'stat',
        grid: [20, 4, 4, 4],
        thresholds: [GREEN, { color: 'orange', value: 1 }, { color: 'red', value: 10 }],
        targets: [prom('A', 'sum(fieldline_alerts_open)')],
      }),
      panel({
        title: 'Recent alerts',
        type: 'table',
        grid: [0, 8, 24, 9],
        targets: [
          sql(
            'A',
            `SELECT to_timestamp(a.created_at / 1000.0) AS "Raised", a.severity AS "Severity", a.status AS "Status",
               COALESCE(d.name, a.device_id) AS "Device", COALESCE(r.name, a.rule_name) AS "Rule",
               a.message AS "Message", to_timestamp(a.acknowledged_at / 1000.0) AS "Acknowledged",
               a.acknowledged_by AS "By", to_timestamp(a.resolved_at / 1000.0) AS "Resolved"
             FROM alerts a
             LEFT JOIN devices d ON d.id = a.device_id
             LEFT JOIN rules r ON r.id = a.rule_id
             WHERE a.organization_id IN (${ORG})
             ORDER BY a.created_at DESC LIMIT 50`,
          ),
        ],
      }),
      panel({
        title: 'Most triggered rules',
        type: 'bargauge',
        grid: [0, 17, 12, 8],
        targets: [
          sql(
            'A',
            `SELECT COALESCE(r.name, a.rule_name) AS "Rule", count(*) AS "Alerts"
             FROM alerts a LEFT JOIN rules r ON r.id = a.rule_id
             WHERE ${alertsInRange}
             GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
          ),
        ],
      }),
      panel({
        title: 'Devices with most alerts',
        type: 'bargauge',
        grid: [12, 17, 12, 8],
        targets: [
          sql(
            'A',
            `SELECT COALESCE(d.name, a.device_id) AS "Device", count(*) AS "Alerts"
             FROM alerts a LEFT JOIN devices d ON d.id = a.device_id
             WHERE ${alertsInRange}
             GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
          ),
        ],
      }),
      panel({
        title: 'Rule evaluations',
        type: 'timeseries',
        grid: [0, 25, 12, 7],
        unit: 'ops',
        targets: [prom('A', `sum(rate(fieldline_rule_evaluations_total${RATE}))`, 'evaluations/s')],
      }),
      panel({
        title: 'Rule evaluation time per telemetry event',
        type: 'timeseries',
        grid: [12, 25, 12, 7],
        unit: 's',
        targets: [
          prom(
            'A',
            `sum(rate(fieldline_rule_evaluation_seconds_total${RATE})) / clamp_min(sum(rate(fieldline_rule_events_total${RATE})), 1e-9)`,
            'mean',
          ),
        ],
      }),
    ],
  });
}

export function platform(): Json {
  return dashboard({
    uid: 'fieldline-platform',
    title: 'Fieldline · Platform',
    description: 'Ingest, storage commits, MQTT, HTTP, notifications, caches and the Node.js process, over all nodes.',
    time: '3h',
    variables: [],
    panels: [
      panel({
        title: 'Ingest rate',
        type: 'timeseries',
        grid: [0, 0, 12, 8],
        unit: 'short',
        description: 'Telemetry points committed per second, by source.',
        targets: [
          prom('A', `sum by (source) (rate(fieldline_telemetry_points_ingested_total${RATE}))`, '{{source}}'),
          prom('B', `sum by (reason) (rate(fieldline_telemetry_messages_refused_total${RATE}))`, 'refused: {{reason}}'),
        ],
      }),
      panel({
        title: 'Commit latency',
        type: 'timeseries',
        grid: [12, 0, 12, 8],
        unit: 's',
        description: 'Time to commit one group-commit batch.',
        targets: [
          prom(
            'A',
            `histogram_quantile(0.5, sum by (le) (rate(fieldline_telemetry_commit_seconds_bucket${RATE})))`,
            'p50',
          ),
          prom(
            'B',
            `histogram_quantile(0.99, sum by (le) (rate(fieldline_telemetry_commit_seconds_bucket${RATE})))`,
            'p99',
          ),
        ],
      }),
      panel({
        title: 'MQTT connections',
        type: 'timeseries',
        grid: [0, 8, 8, 8],
        targets: [prom('A', 'sum by (instance) (fieldline_mqtt_connections)', '{{instance}}')],
      }),
      panel({
        title: 'MQTT messages',
        type: 'timeseries',
        grid: [8, 8, 16, 8],
        unit: 'short',
        targets: [
          prom('A', `sum by (family) (rate(fieldline_mqtt_messages_received_total${RATE}))`, 'in: {{family}}'),
          prom('B', `sum by (family) (rate(fieldline_mqtt_messages_sent_total${RATE}))`, 'out: {{family}}'),
        ],
      }),
      panel({
        title: 'HTTP latency (p99 by route)',
        type: 'timeseries',
        grid: [0, 16, 12, 8],
        unit: 's',
        targets: [
          prom(
            'A',
            `histogram_quantile(0.99, sum by (le, route) (rate(fieldline_http_request_duration_seconds_bucket${RATE})))`,
            '{{route}}',
          ),
        ],
      }),
      panel({
        title: 'HTTP requests by status',
        type: 'timeseries',
        grid: [12, 16, 12, 8],
        unit: 'reqps',
        targets: [prom('A', `sum by (status) (rate(fieldline_http_requests_total${RATE}))`, '{{status}}')],
      }),
      panel({
        title: 'Notification outbox backlog',
        type: 'timeseries',
        grid: [0, 24, 8, 8],
        targets: [
          prom('A', 'max by (status) (fieldline_notification_outbox_backlog)', '{{status}}'),
          prom('B', 'max(fieldline_notification_outbox_oldest_due_seconds)', 'oldest due (s)'),
        ],
      }),
      panel({
        title: 'Notifications by outcome',
        type: 'timeseries',
        grid: [8, 24, 8, 8],
        targets: [
          prom(
            'A',
            `sum by (channel, outcome) (increase(fieldline_notifications_total${RATE}))`,
            '{{channel}} {{outcome}}',
          ),
        ],
      }),
      panel({
        title: 'Socket.IO connections',
        type: 'timeseries',
        grid: [16, 24, 8, 8],
        targets: [prom('A', 'sum by (instance) (fieldline_socketio_connections)', '{{instance}}')],
      }),
      panel({
        title: 'Cache hit ratio',
        type: 'timeseries',
        grid: [0, 32, 12, 8],
        unit: 'percentunit',
        targets: [
          prom(
            'A',
            `sum by (cache) (rate(fieldline_cache_hits_total${RATE})) / clamp_min(sum by (cache) (rate(fieldline_cache_hits_total${RATE})) + sum by (cache) (rate(fieldline_cache_misses_total${RATE})), 1e-9)`,
            '{{cache}}',
          ),
        ],
      }),
      panel({
        title: 'Devices by status',
        type: 'timeseries',
        grid: [12, 32, 12, 8],
        targets: [prom('A', 'sum by (organization, status) (fieldline_devices)', '{{organization}} {{status}}')],
      }),
      panel({
        title: 'Process memory',
        type: 'timeseries',
        grid: [0, 40, 8, 8],
        unit: 'bytes',
        targets: [
          prom('A', 'sum by (instance) (process_resident_memory_bytes)', 'rss {{instance}}'),
          prom('B', 'sum by (instance) (nodejs_heap_size_used_bytes)', 'heap {{instance}}'),
        ],
      }),
      panel({
        title: 'CPU',
        type: 'timeseries',
        grid: [8, 40, 8, 8],
        unit: 'percentunit',
        targets: [prom('A', `sum by (instance) (rate(process_cpu_seconds_total${RATE}))`, '{{instance}}')],
      }),
      panel({
        title: 'Event loop lag (p99)',
        type: 'timeseries',
        grid: [16, 40, 8, 8],
        unit: 's',
        targets: [prom('A', 'max by (instance) (nodejs_eventloop_lag_p99_seconds)', '{{instance}}')],
      }),
    ],
  });
}

/** The dashboards by file name. */
export function fieldlineDashboards(): Record<string, Json> {
  return {
    'fieldline-device-overview.json': deviceOverview(),
    'fieldline-telemetry.json': telemetry(),
    'fieldline-alerts-rules.json': alertsAndRules(),
    'fieldline-platform.json': platform(),
  };
}
