/**
 * The HTTP API's answers as the UI reads them. Each mirrors one TypeBox view of the server (named beside it);
 * web/src/api/views.contract.ts makes `npm run check` fail when the two drift apart.
 */
import type { Role } from '../../../src/auth/roles.js';

export type { Role };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** POST /auth/login — src/auth/routes.ts TokenAnswer */
export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  organization_id: string;
}

/** src/auth/views.ts OrganizationView */
export interface Organization {
  id: string;
  name: string;
  slug: string;
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** GET /me — src/auth/routes.ts */
export interface Me {
  kind: 'user' | 'api_key';
  id: string;
  name: string;
  role: Role;
  is_platform_admin: boolean;
  email: string | null;
  display_name: string | null;
  organization: Organization;
  memberships: { organization_id: string; name: string; role: Role }[];
}

/** src/devices/views.ts DeviceView */
export interface Device {
  id: string;
  name: string;
  device_type: string;
  location: string | null;
  active: boolean;
  metadata: Record<string, unknown>;
  attributes: Record<string, unknown>;
  status: 'online' | 'offline';
  last_seen: string | null;
  inactivity_timeout_s: number | null;
  protocol: string | null;
  last_error: { message: string; at: string } | null;
  created_at: string;
  updated_at: string;
}

export type CreatedDevice = Device & { credentials: { access_token: string } };

export interface TelemetryPoint {
  ts: string;
  value: unknown;
}

/** GET /telemetry/{id} */
export interface TelemetrySeries {
  device_id: string;
  /** Per key, ascending by ts: at most `limit` points (or buckets) a key, its newest. */
  series: Record<string, TelemetryPoint[]>;
  /** Keys that had more than `limit` in the range. */
  truncated: string[];
}

/** GET /telemetry/{id}/latest */
export interface LatestValues {
  device_id: string;
  values: Record<string, TelemetryPoint>;
}

export type CommandStatus = 'pending' | 'delivered' | 'succeeded' | 'failed' | 'timed_out' | 'expired';

/** src/commands/views.ts CommandView */
export interface Command {
  id: string;
  device_id: string;
  name: string;
  params: unknown;
  status: CommandStatus;
  family: string | null;
  timeout_ms: number;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  delivered_at: string | null;
  completed_at: string | null;
  response: unknown;
  error: string | null;
}

/** src/alerts/views.ts AlertView */
export interface Alert {
  id: string;
  rule_id: string;
  rule_name: string;
  device_id: string;
  device_name: string | null;
  severity: string;
  status: string;
  message: string;
  value: number | string | boolean | null;
  threshold: number | string | boolean | null;
  escalation_level: number;
  created_at: string;
  updated_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  notes: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
}

/** src/rules/views.ts RuleView */
export interface Rule {
  id: string;
  name: string;
  description: string | null;
  device_id: string | null;
  device_type: string | null;
  rule_type: string;
  conditions: Record<string, unknown>;
  actions: Record<string, unknown>[];
  severity: string;
  priority: number;
  enabled: boolean;
  auto_resolve: boolean;
  message: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** The body of POST /rules (and, every field optional, PUT /rules/{id}). */
export interface RuleBody {
  name: string;
  description?: string | null;
  device_id?: string | null;
  device_type?: string | null;
  rule_type: string;
  conditions: Record<string, unknown>;
  actions?: Record<string, unknown>[];
  severity?: 'info' | 'warning' | 'critical';
  priority?: number;
  enabled?: boolean;
  auto_resolve?: boolean;
  message?: string | null;
}

/** One condition of a rule test's explanation; all/any carry their children. */
export interface TraceNode {
  condition: string;
  result: boolean | null;
  value?: unknown;
  threshold?: unknown;
  detail?: string;
  children?: unknown[];
}

/** POST /rules/{id}/test — src/rules/routes.ts TestResult */
export interface RuleTestResult {
  rule_id: string;
  device_id: string;
  source: string;
  would_fire: boolean;
  result: boolean | null;
  value: unknown;
  threshold: unknown;
  message: string | null;
  duration_s: number | null;
  note: string | null;
  trace: TraceNode;
  steps: { ts: string; result: boolean | null }[];
  next_runs: string[];
}

/** src/integrations/views.ts ConnectionStatusView */
export interface ConnectionStatus {
  integration_id: string;
  state: string;
  connected: boolean;
  last_connected_at: string | null;
  last_disconnected_at: string | null;
  messages_received: number;
  subscribed_topics_count: number;
  subscribed_topics: string[];
  client_id: string;
  broker_info: Record<string, unknown>;
  connection_error: string | null;
  reconnect_attempts: number;
  next_reconnect_in_ms: number | null;
}

export type HealthState = 'ok' | 'warning' | 'error' | 'idle' | 'disabled';

/** src/integrations/views.ts IntegrationView */
export interface Integration {
  id: string;
  type: string;
  name: string;
  status: string;
  config: Record<string, unknown>;
  health: { state: HealthState; summary: string };
  last_sync_at: string | null;
  sync_status: string | null;
  error_message: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  connection?: ConnectionStatus | null;
  webhook_url?: string;
}

/** src/integrations/routes.ts TestResultView */
export interface IntegrationTestResult {
  status: 'success' | 'error';
  connected: boolean;
  message: string;
  details: string | null;
  error_kind: string | null;
  connack_code: number | null;
  broker?: Record<string, unknown>;
  session_present?: boolean | null;
  status_code?: number | null;
  devices?: number | null;
  duration_ms: number;
}

/** src/integrations/views.ts SubscriptionView */
export interface Subscription {
  id: string;
  integration_id: string;
  name: string;
  topic: string;
  filter: string;
  enabled: boolean;
  description: string | null;
  qos: number | null;
  actions: Record<string, unknown>[];
  messages_received: number;
  actions_executed: number;
  actions_failed: number;
  last_message_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** src/stack/views.ts serviceView (the parts the UI shows) */
export interface StackService {
  id: string;
  name: string;
  category: string;
  description: string;
  image: string;
  ports: { container: number; host: number; name: string; protocol: string }[];
  docs: string;
}

/** src/stack/views.ts templateView */
export interface StackTemplate {
  id: string;
  name: string;
  description: string;
  services: string[];
}

export interface StackConflict {
  type: string;
  severity: string;
  message: string;
  services: string[];
  resolution?: string;
}

/** POST /stack/detect-integrations — src/stack/views.ts reportView */
export interface StackReport {
  services: { instance_name: string; app_id: string }[];
  integrations: {
    kind: string;
    display_name: string;
    provider: { instance_name: string; app_id: string };
    consumers: { instance_name: string; app_id: string; configures: string }[];
  }[];
  conflicts: StackConflict[];
  recommendations: { app_id: string; kind: string | null; reason: string; for: string[] }[];
}

/** POST /stack/generate — src/stack/views.ts bundleView */
export interface StackBundle {
  files: { path: string; content: string; mode?: number }[];
  services: { name: string; app_id: string; image: string; url: string | null }[];
  warnings: string[];
  secrets: { env_var: string; description: string; audience: string[] }[];
  post_start: { script: string; description: string }[];
  conflicts: StackConflict[];
}

/** The body of detect, generate and download. */
export interface StackRequest {
  template?: string;
  instances?: { app_id: string }[];
  settings?: {
    project_name?: string;
    timezone?: string;
    reverse_proxy?: { base_domain?: string; enable_https?: boolean; letsencrypt_email?: string };
  };
}

/** src/auth/views.ts MemberView */
export interface Member {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  role: Role;
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

export type CreatedMember = Member & { invited: boolean; initial_password: string | null };

/** src/auth/views.ts ApiKeyView */
export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export type CreatedApiKey = ApiKey & { key: string };

/** src/audit/routes.ts AuditView */
export interface AuditEntry {
  id: string;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: Record<string, unknown> | null;
  ip: string | null;
  created_at: string;
}
