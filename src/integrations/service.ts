import type { Principal } from '../auth/index.js';
import {
  type Clock,
  conflict,
  FieldlineError,
  type FieldProblem,
  newId,
  newSecret,
  notFound,
} from '../kernel/index.js';
import type { WebhookEndpoint } from '../notify/index.js';
import type { SecretBox } from '../secrets/index.js';
import { isUniqueViolation } from '../storage/index.js';
import { configProblems, normalizeConfig } from './config-schemas.js';
import { compileTopic, TopicPatternError } from './mqtt/topic-filter.js';
import { joinSecrets, maskSecrets, mergePatch, splitSecrets } from './secret-fields.js';
import type { IntegrationRow, IntegrationStore } from './store.js';
import type { IntegrationStatus, IntegrationType } from './types.js';

type Json = Record<string, unknown>;

export interface NewIntegration {
  type: IntegrationType;
  name: string;
  status?: 'active' | 'inactive';
  config: Json;
}

export interface IntegrationPatch {
  name?: string;
  status?: 'active' | 'inactive';
  config?: Json;
}

/** Binds an integration's sealed secrets to its row: a ciphertext copied to another row does not open. */
export const integrationSecretContext = (organizationId: string, id: string) => `integrations:${organizationId}:${id}`;

const invalidConfig = (problems: FieldProblem[]) =>
  new FieldlineError(
    'FIELDLINE_ERR_VALIDATION',
    `Invalid configuration: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    { errors: problems },
  );

/**
 * Integrations as stored: validated, normalized configurations whose secrets are sealed apart (never written
 * in the clear, never answered: every view shows `***`). Scoped by organization; another organization's id is
 * a 404.
 */
export class IntegrationService {
  constructor(
    private readonly store: IntegrationStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  async get(organizationId: string, id: string): Promise<IntegrationRow> {
    const row = await this.store.get(organizationId, id);
    if (!row) throw notFound('integration', id);
    return row;
  }

  /** The secrets of a row, opened. */
  secretsOf(row: IntegrationRow): Json | null {
    return row.secrets
      ? (JSON.parse(this.box.open(row.secrets, integrationSecretContext(row.organization_id, row.id))) as Json)
      : null;
  }

  /** The configuration with its secrets: for the runtime, never for an answer. */
  fullConfig(row: IntegrationRow): Json {
    return joinSecrets(JSON.parse(row.config) as Json, this.secretsOf(row));
  }

  /** The configuration as answers show it: *** for every stored secret. */
  maskedConfig(row: IntegrationRow): Json {
    return maskSecrets(JSON.parse(row.config) as Json, this.secretsOf(row));
  }

  /** Merges a patch onto a configuration (*** keeps a stored secret), normalizes and validates it. */
  prepare(type: IntegrationType, base: Json, patch: Json): Json {
    const config = normalizeConfig(type, mergePatch(base, patch));
    const problems = configProblems(type, config);
    if (problems.length) throw invalidConfig(problems);
    return config;
  }

  /** Creates an integration; a Golioth one without webhook_secret gets a generated one, shown once. */
  async create(principal: Principal, input: NewIntegration): Promise<{ row: IntegrationRow; generated: Json | null }> {
    const config = this.prepare(input.type, {}, input.config);
    let generated: Json | null = null;
    if (input.type === 'golioth' && config.webhook_secret === undefined) {
      config.webhook_secret = newSecret(24);
      generated = { webhook_secret: config.webhook_secret };
    }
    const now = this.clock.now();
    const id = newId(now);
    const row: IntegrationRow = {
      id,
      organization_id: principal.organizationId,
      type: input.type,
      name: input.name,
      status: input.status ?? 'active',
      ...this.sealed(input.type, principal.organizationId, id, config),
      created_by: principal.kind === 'user' ? principal.id : `api_key:${principal.id}`,
      created_at: now,
      updated_at: now,
      last_sync_at: null,
      sync_status: null,
      error_message: null,
    };
    try {
      await this.store.insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`An integration named '${input.name}' already exists`);
      throw err;
    }
    return { row, generated };
  }

  /** Applies a patch; answers the new row and which top-level parts of the configuration changed (for the audit). */
  async update(
    principal: Principal,
    id: string,
    patch: IntegrationPatch,
  ): Promise<{ row: IntegrationRow; changedConfig: string[] }> {
    const row = await this.get(principal.organizationId, id);
    const type = row.type as IntegrationType;
    const changes: Partial<IntegrationRow> = { updated_at: Math.max(this.clock.now(), Number(row.updated_at) + 1) };
    let changedConfig: string[] = [];
    if (patch.config) {
      const before = this.fullConfig(row);
      const config = this.prepare(type, before, patch.config);
      changedConfig = [...new Set([...Object.keys(before), ...Object.keys(config)])].filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(config[k]),
      );
      if (type === 'mqtt') await this.checkSubscriptionsFit(id, config);
      Object.assign(changes, this.sealed(type, row.organization_id, id, config));
    }
    if (patch.name !== undefined) changes.name = patch.name;
    if (
      patch.status !== undefined &&
      patch.status !== row.status &&
      !(patch.status === 'active' && row.status === 'error')
    ) {
      changes.status = patch.status;
      if (patch.status === 'inactive') Object.assign(changes, { sync_status: 'stopped', error_message: null });
    }
    // A changed configuration is tried afresh: an old failure says nothing about it.
    if (changedConfig.length && row.status === 'error')
      Object.assign(changes, { status: 'active', error_message: null });
    try {
      await this.store.update(id, changes);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`An integration named '${patch.name}' already exists`);
      throw err;
    }
    return { row: { ...row, ...changes }, changedConfig };
  }

  async delete(principal: Principal, id: string): Promise<IntegrationRow> {
    const row = await this.get(principal.organizationId, id);
    if (row.type === 'webhook') {
      const users = await this.store.forwardersTo(principal.organizationId, id);
      const named = users.filter((s) => s.actions.includes(`"${id}"`));
      if (named.length)
        throw conflict(
          `Subscription(s) ${named.map((s) => `'${s.name}'`).join(', ')} forward to this webhook; change them first`,
        );
    }
    await this.store.delete(principal.organizationId, id);
    return row;
  }

  /** A webhook integration's endpoint, with its secrets, for the notifications outbox (null: none usable). */
  async resolveWebhook(organizationId: string, id: string): Promise<WebhookEndpoint | null> {
    const row = await this.store.get(organizationId, id);
    if (row?.type !== 'webhook' || row.status === 'inactive') return null;
    return this.fullConfig(row) as unknown as WebhookEndpoint;
  }

  /** Bumps updated_at: the runtime on every node notices (a subscription changed). */
  async touch(id: string): Promise<void> {
    const row = await this.store.byId(id);
    if (row) await this.store.update(id, { updated_at: Math.max(this.clock.now(), Number(row.updated_at) + 1) });
  }

  /** A new topics.prefix must still make a valid filter of every subscription's topic. */
  private async checkSubscriptionsFit(id: string, config: Json): Promise<void> {
    const prefix = ((config.topics as Json | undefined)?.prefix as string | undefined) ?? '';
    const problems: FieldProblem[] = [];
    for (const sub of await this.store.subscriptions(id)) {
      try {
        compileTopic(prefix, sub.topic);
      } catch (err) {
        if (!(err instanceof TopicPatternError)) throw err;
        problems.push({ field: 'config.topics.prefix', message: `subscription '${sub.name}': ${err.message}` });
      }
    }
    if (problems.length) throw invalidConfig(problems);
  }

  private sealed(type: IntegrationType, organizationId: string, id: string, config: Json) {
    const { shown, secrets } = splitSecrets(type, config);
    return {
      config: JSON.stringify(shown),
      secrets: secrets ? this.box.seal(JSON.stringify(secrets), integrationSecretContext(organizationId, id)) : null,
    };
  }
}

export type { IntegrationStatus };
