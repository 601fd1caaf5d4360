import type { SubscriptionCounters } from '../subscription-counters.js';
import type {
  ForwardAction,
  IngestAction,
  MqttTopicsConfig,
  Qos,
  RepublishAction,
  SubscriptionAction,
} from '../types.js';
import { DEFAULTS } from './client-options.js';
import type { FilterSet } from './connection.js';
import { IngestMapper, ReceivedMessage } from './message-mapper.js';
import { type CompiledTopic, compileTopic, fillTemplate, sharedFilter } from './topic-filter.js';

/** A failure that must keep the message unacknowledged (storage is down), as opposed to a refused message. */
export class StorageFailure extends Error {
  constructor(cause: unknown) {
    super(`storage failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StorageFailure';
  }
}

export interface ActionTarget {
  integrationId: string;
  organizationId: string;
  subscriptionId: string;
}

/** What actions do, provided by the integrations module. Each answers null when done, or why it failed. */
export interface ActionExecutors {
  ingest(target: ActionTarget, mapper: IngestMapper, message: ReceivedMessage): Promise<string | null>;
  forward(target: ActionTarget, action: ForwardAction, message: ReceivedMessage): Promise<string | null>;
  republish(topic: string, payload: Buffer, qos: Qos, retain: boolean): Promise<void>;
}

export interface SubscriptionSpec {
  id: string;
  topic: string;
  enabled: boolean;
  qos: Qos | null;
  actions: SubscriptionAction[];
}

type CompiledAction =
  | { type: 'ingest'; mapper: IngestMapper }
  | { type: 'forward'; action: ForwardAction }
  | { type: 'republish'; action: RepublishAction };

interface CompiledSubscription {
  id: string;
  topic: CompiledTopic;
  /** The filter subscribed on the broker ($share/… when shared). */
  brokerFilter: string;
  qos: Qos;
  actions: CompiledAction[];
}

/**
 * The enabled subscriptions of one MQTT integration, compiled: the broker filters they need, and for each
 * message the subscriptions whose topic pattern it matches (with the placeholders' values), whose actions run
 * in order. One message can match several subscriptions; each counts it and runs its own actions.
 */
export class SubscriptionRouter {
  private readonly subs: CompiledSubscription[];

  constructor(
    readonly integrationId: string,
    readonly organizationId: string,
    topics: MqttTopicsConfig,
    specs: readonly SubscriptionSpec[],
    private readonly counters: SubscriptionCounters,
    private readonly executors: ActionExecutors,
    private readonly now: () => number,
  ) {
    const prefix = topics.prefix ?? '';
    this.subs = specs
      .filter((s) => s.enabled)
      .map((s) => {
        const topic = compileTopic(prefix, s.topic);
        return {
          id: s.id,
          topic,
          brokerFilter:
            topics.use_shared && topics.shared_group ? sharedFilter(topics.shared_group, topic.filter) : topic.filter,
          qos: s.qos ?? topics.qos ?? DEFAULTS.qos,
          actions: s.actions.map(compileAction),
        };
      });
  }

  /** The broker filters, each at the highest QoS any subscription wants of it. */
  filters(): FilterSet {
    const set: FilterSet = new Map();
    for (const s of this.subs) set.set(s.brokerFilter, Math.max(set.get(s.brokerFilter) ?? 0, s.qos) as Qos);
    return set;
  }

  /** Runs the actions of every matching subscription; rejects (StorageFailure) only when the message must not be acknowledged. */
  async handle(topic: string, payload: Buffer, packet: { qos: number; retain: boolean }): Promise<void> {
    const at = this.now();
    let base: ReceivedMessage | null = null;
    let storage: StorageFailure | null = null;
    for (const sub of this.subs) {
      const values = sub.topic.match(topic);
      if (values === null) continue;
      base ??= new ReceivedMessage(topic, payload, packet.qos, packet.retain, {}, at);
      const message = base.withValues(values);
      this.counters.received(sub.id, at);
      const target = { integrationId: this.integrationId, organizationId: this.organizationId, subscriptionId: sub.id };
      for (const action of sub.actions) {
        try {
          const error = await this.run(target, action, message);
          if (error === null) this.counters.executed(sub.id);
          else this.counters.failed(sub.id, `${action.type}: ${error}`);
        } catch (err) {
          this.counters.failed(sub.id, `${action.type}: ${err instanceof Error ? err.message : String(err)}`);
          if (err instanceof StorageFailure) storage ??= err;
        }
      }
    }
    if (storage) throw storage;
  }

  private async run(target: ActionTarget, action: CompiledAction, message: ReceivedMessage): Promise<string | null> {
    switch (action.type) {
      case 'ingest':
        return this.executors.ingest(target, action.mapper, message);
      case 'forward':
        return this.executors.forward(target, action.action, message);
      case 'republish': {
        const filled = fillTemplate(action.action.topic, message.values);
        if (!filled.ok) return `the topic gave no value for {${filled.missing}}`;
        // A topic this integration subscribes to would bring the message back, again and again.
        if (this.subs.some((s) => s.topic.match(filled.text) !== null))
          return `refused to republish to ${filled.text}: this integration subscribes to it (it would loop)`;
        await this.executors.republish(
          filled.text,
          message.payload,
          action.action.qos ?? 0,
          action.action.retain ?? false,
        );
        return null;
      }
    }
  }
}

function compileAction(action: SubscriptionAction): CompiledAction {
  switch (action.type) {
    case 'ingest':
      return { type: 'ingest', mapper: new IngestMapper(action as IngestAction) };
    case 'forward':
      return { type: 'forward', action };
    case 'republish':
      return { type: 'republish', action };
  }
}
