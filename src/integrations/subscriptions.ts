import { type Clock, FieldlineError, type FieldProblem, newId, notFound } from '../kernel/index.js';
import { compileTopic, sharedFilter, TopicPatternError } from './mqtt/topic-filter.js';
import type { IntegrationService } from './service.js';
import type { IntegrationRow, IntegrationStore, SubscriptionRow } from './store.js';
import type { SubscriptionCounters } from './subscription-counters.js';
import { actionProblems } from './subscription-schemas.js';
import type { MqttIntegrationConfig, SubscriptionAction } from './types.js';
import { subscriptionView } from './views.js';

export interface SubscriptionInput {
  name?: string;
  topic?: string;
  enabled?: boolean;
  description?: string | null;
  qos?: 0 | 1 | 2 | null;
  actions?: Record<string, unknown>[];
}

const invalidSubscription = (problems: FieldProblem[]) =>
  new FieldlineError(
    'FIELDLINE_ERR_VALIDATION',
    `Invalid subscription: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    { errors: problems },
  );

/**
 * The subscriptions of MQTT integrations: what to subscribe to and what to do with each message. Every change
 * bumps the integration's updated_at, which the runtime applies on the live connection.
 */
export class SubscriptionService {
  constructor(
    private readonly store: IntegrationStore,
    private readonly integrations: IntegrationService,
    private readonly counters: SubscriptionCounters,
    private readonly clock: Clock,
    private readonly applied: (integrationId: string) => Promise<void>,
  ) {}

  /** The integration, which must be an MQTT one of the organization. */
  async integration(organizationId: string, id: string): Promise<IntegrationRow> {
    const row = await this.integrations.get(organizationId, id);
    if (row.type !== 'mqtt')
      throw new FieldlineError(
        'FIELDLINE_ERR_CONFLICT',
        `integration '${row.name}' is a ${row.type} integration: only MQTT integrations have subscriptions`,
      );
    return row;
  }

  async list(organizationId: string, integrationId: string) {
    const row = await this.integration(organizationId, integrationId);
    const topics = this.topicsOf(row);
    return this.counters.consistent(async () =>
      (await this.store.subscriptions(integrationId)).map((s) => this.view(s, topics)),
    );
  }

  async get(organizationId: string, integrationId: string, id: string) {
    const row = await this.integration(organizationId, integrationId);
    return this.counters.consistent(async () => {
      const sub = await this.store.subscription(integrationId, id);
      if (!sub) throw notFound('subscription', id);
      return { row, sub, view: this.view(sub, this.topicsOf(row)) };
    });
  }

  async create(organizationId: string, integrationId: string, input: SubscriptionInput) {
    const row = await this.integration(organizationId, integrationId);
    const topics = this.topicsOf(row);
    const topic = input.topic ?? topics.pattern;
    if (topic === undefined)
      throw invalidSubscription([
        { field: 'topic', message: 'is required (the integration has no topics.pattern to default to)' },
      ]);
    const actions = input.actions ?? [];
    await this.validate(organizationId, topics, topic, actions);
    const now = this.clock.now();
    const sub: SubscriptionRow = {
      id: newId(now),
      integration_id: integrationId,
      organization_id: organizationId,
      name: input.name ?? topic,
      topic,
      enabled: input.enabled === false ? 0 : 1,
      description: input.description ?? null,
      qos: input.qos ?? null,
      actions: JSON.stringify(actions),
      messages_received: 0,
      actions_executed: 0,
      actions_failed: 0,
      last_message_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.insertSubscription(sub);
    await this.integrations.touch(integrationId);
    await this.applied(integrationId);
    return this.view(sub, topics);
  }

  async update(organizationId: string, integrationId: string, id: string, input: SubscriptionInput) {
    const { row, sub } = await this.get(organizationId, integrationId, id);
    const topics = this.topicsOf(row);
    const topic = input.topic ?? sub.topic;
    const actions = input.actions ?? (JSON.parse(sub.actions) as Record<string, unknown>[]);
    await this.validate(organizationId, topics, topic, actions);
    const changes: Partial<SubscriptionRow> = { updated_at: this.clock.now() };
    if (input.name !== undefined) changes.name = input.name;
    if (input.topic !== undefined) changes.topic = input.topic;
    if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
    if (input.description !== undefined) changes.description = input.description;
    if (input.qos !== undefined) changes.qos = input.qos;
    if (input.actions !== undefined) changes.actions = JSON.stringify(input.actions);
    await this.store.updateSubscription(id, changes);
    await this.integrations.touch(integrationId);
    await this.applied(integrationId);
    // Read again: the counters may have been flushed to the row since `sub` was read.
    return (await this.get(organizationId, integrationId, id)).view;
  }

  async delete(organizationId: string, integrationId: string, id: string): Promise<SubscriptionRow> {
    const { sub } = await this.get(organizationId, integrationId, id);
    await this.store.deleteSubscription(integrationId, id);
    this.counters.forget(id);
    await this.integrations.touch(integrationId);
    await this.applied(integrationId);
    return sub;
  }

  private topicsOf(row: IntegrationRow): NonNullable<MqttIntegrationConfig['topics']> {
    return (JSON.parse(row.config) as MqttIntegrationConfig).topics ?? {};
  }

  private view(sub: SubscriptionRow, topics: NonNullable<MqttIntegrationConfig['topics']>) {
    let filter = sub.topic;
    try {
      const compiled = compileTopic(topics.prefix ?? '', sub.topic);
      filter =
        topics.use_shared && topics.shared_group ? sharedFilter(topics.shared_group, compiled.filter) : compiled.filter;
    } catch {
      // Stored topics were valid when written; a prefix changed since may not fit, and the view still shows it.
    }
    return subscriptionView(sub, filter, this.counters.peek(sub.id));
  }

  private async validate(
    organizationId: string,
    topics: NonNullable<MqttIntegrationConfig['topics']>,
    topic: string,
    actions: Record<string, unknown>[],
  ): Promise<void> {
    const problems: FieldProblem[] = [];
    let compiled = null;
    try {
      compiled = compileTopic(topics.prefix ?? '', topic);
    } catch (err) {
      if (!(err instanceof TopicPatternError)) throw err;
      problems.push({ field: 'topic', message: err.message });
    }
    problems.push(...actionProblems(actions, compiled));
    for (const [i, a] of (actions as unknown as SubscriptionAction[]).entries()) {
      if (a?.type !== 'forward' || typeof a.integration_id !== 'string') continue;
      const target = await this.store.get(organizationId, a.integration_id);
      if (!target)
        problems.push({ field: `actions.${i}.integration_id`, message: 'no such integration in this organization' });
      else if (target.type !== 'webhook')
        problems.push({
          field: `actions.${i}.integration_id`,
          message: `is a ${target.type} integration, not a webhook`,
        });
    }
    if (problems.length) throw invalidSubscription(problems);
  }
}
