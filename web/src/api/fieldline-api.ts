import type { ApiClient } from './client.js';
import type {
  Alert,
  ApiKey,
  AuditEntry,
  Command,
  ConnectionStatus,
  CreatedApiKey,
  CreatedDevice,
  CreatedMember,
  Device,
  Integration,
  IntegrationTestResult,
  LatestValues,
  Me,
  Member,
  Page,
  Role,
  Rule,
  RuleBody,
  RuleTestResult,
  StackBundle,
  StackReport,
  StackRequest,
  StackService,
  StackTemplate,
  Subscription,
  TelemetrySeries,
  TokenAnswer,
} from './types.js';

const enc = encodeURIComponent;

export interface DeviceFilter {
  device_type?: string;
  status?: '' | 'online' | 'offline';
  search?: string;
  cursor?: string | null;
  limit?: number;
}

export interface AlertFilterQuery {
  status?: string;
  severity?: string;
  device_id?: string;
  cursor?: string | null;
  limit?: number;
}

export interface TelemetryQueryParams {
  start?: string;
  end?: string;
  keys?: string;
  agg?: 'avg' | 'min' | 'max' | 'sum' | 'count';
  interval?: string;
  limit?: number;
}

/** Every API call the UI makes, typed, in one place. */
export function createApi(c: ApiClient) {
  return {
    auth: {
      login: (username: string, password: string) => c.post<TokenAnswer>('/auth/login', { username, password }),
      me: () => c.get<Me>('/me'),
    },
    devices: {
      list: (f: DeviceFilter = {}) => c.get<Page<Device>>('/devices', { ...f }),
      get: (id: string) => c.get<Device>(`/devices/${enc(id)}`),
      create: (body: { id?: string; name: string; device_type?: string; location?: string | null }) =>
        c.post<CreatedDevice>('/devices', body),
      remove: (id: string) => c.delete(`/devices/${enc(id)}`),
    },
    telemetry: {
      history: (deviceId: string, q: TelemetryQueryParams) =>
        c.get<TelemetrySeries>(`/telemetry/${enc(deviceId)}`, { ...q }),
      latest: (deviceId: string) => c.get<LatestValues>(`/telemetry/${enc(deviceId)}/latest`),
    },
    commands: {
      list: (deviceId: string, limit = 10) => c.get<Page<Command>>(`/devices/${enc(deviceId)}/commands`, { limit }),
      get: (deviceId: string, id: string) => c.get<Command>(`/devices/${enc(deviceId)}/commands/${enc(id)}`),
      send: (deviceId: string, body: { name: string; params?: unknown; timeout_ms?: number }) =>
        c.post<Command>(`/devices/${enc(deviceId)}/commands`, body),
    },
    alerts: {
      list: (q: AlertFilterQuery = {}) => c.get<Page<Alert>>('/alerts', { ...q }),
      acknowledge: (id: string, notes: string) =>
        c.post<Alert>(`/alerts/${enc(id)}/acknowledge`, notes.trim() ? { notes: notes.trim() } : {}),
      resolve: (id: string, notes: string) =>
        c.post<Alert>(`/alerts/${enc(id)}/resolve`, notes.trim() ? { notes: notes.trim() } : {}),
    },
    rules: {
      list: (cursor?: string | null) => c.get<Page<Rule>>('/rules', { cursor, limit: 100 }),
      get: (id: string) => c.get<Rule>(`/rules/${enc(id)}`),
      create: (body: RuleBody) => c.post<Rule>('/rules', body),
      update: (id: string, body: RuleBody) => c.put<Rule>(`/rules/${enc(id)}`, body),
      remove: (id: string) => c.delete(`/rules/${enc(id)}`),
      toggle: (id: string, enabled: boolean) => c.patch<Rule>(`/rules/${enc(id)}/toggle`, { enabled }),
      test: (id: string, body: { device_id?: string; data?: Record<string, unknown> }) =>
        c.post<RuleTestResult>(`/rules/${enc(id)}/test`, body),
    },
    integrations: {
      list: () => c.get<Page<Integration>>('/integrations', { limit: 1000 }),
      get: (id: string) => c.get<Integration>(`/integrations/${enc(id)}`),
      create: (body: { type: 'mqtt'; name: string; config: Record<string, unknown> }) =>
        c.post<Integration>('/integrations', body),
      update: (id: string, body: { name?: string; status?: 'active' | 'inactive' }) =>
        c.patch<Integration>(`/integrations/${enc(id)}`, body),
      remove: (id: string) => c.delete(`/integrations/${enc(id)}`),
      testSettings: (type: 'mqtt', config: Record<string, unknown>) =>
        c.post<IntegrationTestResult>('/integrations/test', { type, config }),
      testSaved: (id: string) => c.post<IntegrationTestResult>(`/integrations/${enc(id)}/test`, {}),
      reconnect: (id: string) => c.post<ConnectionStatus>(`/integrations/${enc(id)}/reconnect`),
      subscriptions: (id: string) => c.get<Page<Subscription>>(`/integrations/${enc(id)}/subscriptions`),
      addSubscription: (id: string, body: Record<string, unknown>) =>
        c.post<Subscription>(`/integrations/${enc(id)}/subscriptions`, body),
      setSubscriptionEnabled: (id: string, subId: string, enabled: boolean) =>
        c.put<Subscription>(`/integrations/${enc(id)}/subscriptions/${enc(subId)}`, { enabled }),
      removeSubscription: (id: string, subId: string) =>
        c.delete(`/integrations/${enc(id)}/subscriptions/${enc(subId)}`),
    },
    stack: {
      catalog: () => c.get<{ items: StackService[] }>('/stack/catalog'),
      templates: () => c.get<{ items: StackTemplate[] }>('/stack/templates'),
      detect: (body: StackRequest) => c.post<StackReport>('/stack/detect-integrations', body),
      generate: (body: StackRequest) => c.post<StackBundle>('/stack/generate', body),
      download: (body: StackRequest) => c.download('/stack/download', body),
    },
    users: {
      list: (cursor?: string | null) => c.get<Page<Member>>('/users', { cursor }),
      create: (body: { username: string; role: Role; password?: string; email?: string | null }) =>
        c.post<CreatedMember>('/users', body),
      setRole: (id: string, role: Role) => c.patch<Member>(`/users/${enc(id)}`, { role }),
      remove: (id: string) => c.delete(`/users/${enc(id)}`),
    },
    apiKeys: {
      list: () => c.get<Page<ApiKey>>('/api-keys'),
      create: (body: { name: string; role: Role; expires_in_days?: number }) =>
        c.post<CreatedApiKey>('/api-keys', body),
      revoke: (id: string) => c.delete(`/api-keys/${enc(id)}`),
    },
    audit: {
      list: (q: { cursor?: string | null; action?: string; resource_type?: string }) =>
        c.get<Page<AuditEntry>>('/audit', { ...q, limit: 50 }),
    },
  };
}

export type FieldlineApi = ReturnType<typeof createApi>;
