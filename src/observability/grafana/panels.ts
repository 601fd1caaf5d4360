/**
 * Small builders for Grafana dashboard JSON (schema version 39, Grafana 10/11). Panels reference their data
 * source through dashboard variables (`${ds_prometheus}`, `${ds_fieldline}`), so the same files work in a
 * generated stack, in `fieldline grafana export`, and after an import into a Grafana with other names.
 */

export type Json = Record<string, unknown>;

export const PROMETHEUS = { type: 'prometheus', uid: `\${ds_prometheus}` } as const;
export const FIELDLINE_DB = { type: 'grafana-postgresql-datasource', uid: `\${ds_fieldline}` } as const;

export interface SqlTarget {
  refId: string;
  rawSql: string;
  format: 'table' | 'time_series';
}

export interface PromTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
}

export type Target = SqlTarget | PromTarget;

export const isSql = (t: Target): t is SqlTarget => 'rawSql' in t;

export interface PanelSpec {
  title: string;
  type: 'stat' | 'timeseries' | 'table' | 'piechart' | 'bargauge' | 'gauge';
  /** x, y, w, h on Grafana's 24-column grid. */
  grid: [number, number, number, number];
  targets: Target[];
  description?: string;
  unit?: string;
  /** A relative range for this panel only (`24h`), whatever the dashboard's range. */
  timeFrom?: string;
  options?: Json;
  fieldConfig?: Json;
  repeat?: string;
  thresholds?: { color: string; value: number | null }[];
}

export function sql(refId: string, rawSql: string, format: SqlTarget['format'] = 'table'): SqlTarget {
  return { refId, rawSql: rawSql.replace(/\s+/g, ' ').trim(), format };
}

export function prom(refId: string, expr: string, legendFormat?: string): PromTarget {
  return legendFormat === undefined ? { refId, expr } : { refId, expr, legendFormat };
}

export function panel(p: PanelSpec): Json {
  const [x, y, w, h] = p.grid;
  const datasource = p.targets.some(isSql) ? FIELDLINE_DB : PROMETHEUS;
  const defaults: Json = {};
  if (p.unit) defaults.unit = p.unit;
  if (p.thresholds) defaults.thresholds = { mode: 'absolute', steps: p.thresholds };
  const out: Json = {
    type: p.type,
    title: p.title,
    gridPos: { x, y, w, h },
    datasource,
    targets: p.targets.map((t) =>
      isSql(t)
        ? {
            refId: t.refId,
            datasource: FIELDLINE_DB,
            editorMode: 'code',
            rawQuery: true,
            format: t.format,
            rawSql: t.rawSql,
          }
        : {
            refId: t.refId,
            datasource: PROMETHEUS,
            editorMode: 'code',
            range: true,
            expr: t.expr,
            ...(t.legendFormat === undefined ? {} : { legendFormat: t.legendFormat }),
          },
    ),
    fieldConfig: { defaults, overrides: [], ...(p.fieldConfig ?? {}) },
    options: p.options ?? defaultOptions(p.type),
  };
  if (p.description) out.description = p.description;
  if (p.timeFrom) out.timeFrom = p.timeFrom;
  if (p.repeat) Object.assign(out, { repeat: p.repeat, repeatDirection: 'h', maxPerRow: 2 });
  return out;
}

function defaultOptions(type: PanelSpec['type']): Json {
  const reduce = { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } };
  switch (type) {
    case 'stat':
      return { ...reduce, colorMode: 'value', graphMode: 'none', justifyMode: 'auto', textMode: 'auto' };
    case 'gauge':
      return { ...reduce, showThresholdLabels: false, showThresholdMarkers: true };
    case 'timeseries':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi' } };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false } };
    case 'piechart':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true },
        pieType: 'donut',
        legend: { displayMode: 'table', placement: 'right', values: ['value', 'percent'] },
      };
    case 'bargauge':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true },
        orientation: 'horizontal',
        displayMode: 'gradient',
      };
  }
}

/** Data source variables: Prometheus (the default one) and Fieldline's database (named "Fieldline…"). */
export function datasourceVariables(): Json[] {
  return [
    {
      name: 'ds_prometheus',
      label: 'Prometheus',
      type: 'datasource',
      query: 'prometheus',
      hide: 0,
      current: {},
      options: [],
      refresh: 1,
      regex: '',
    },
    {
      name: 'ds_fieldline',
      label: 'Fieldline database',
      type: 'datasource',
      query: 'grafana-postgresql-datasource',
      hide: 0,
      current: {},
      options: [],
      refresh: 1,
      regex: '/^Fieldline/',
    },
  ];
}

/** A variable filled by SQL against Fieldline's database (`__text` shown, `__value` substituted). */
export function sqlVariable(
  name: string,
  label: string,
  query: string,
  o: { multi: boolean; includeAll: boolean },
): Json {
  return {
    name,
    label,
    type: 'query',
    datasource: FIELDLINE_DB,
    query: query.replace(/\s+/g, ' ').trim(),
    definition: query.replace(/\s+/g, ' ').trim(),
    refresh: 1,
    multi: o.multi,
    includeAll: o.includeAll,
    current: {},
    options: [],
    hide: 0,
    sort: 1,
  };
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: Json[];
  variables: Json[];
  time?: string;
}

export function dashboard(d: DashboardSpec): Json {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['fieldline'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: `now-${d.time ?? '24h'}`, to: 'now' },
    timepicker: {},
    timezone: 'browser',
    templating: { list: [...datasourceVariables(), ...d.variables] },
    annotations: { list: [] },
    links: [{ title: 'Fieldline', type: 'dashboards', tags: ['fieldline'], asDropdown: true, includeVars: true }],
    // Ids in order, so the same dashboard always serializes the same way.
    panels: d.panels.map((p, i) => ({ id: i + 1, ...p })),
  };
}

/** Every target of a dashboard's panels, for tests and tools. */
export function targetsOf(d: Json): Target[] {
  const out: Target[] = [];
  for (const p of (d.panels as Json[]) ?? [])
    for (const t of (p.targets as Json[]) ?? []) out.push(t as unknown as Target);
  return out;
}
