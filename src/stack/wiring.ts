import { type PlannedInstance, providersIn, type StackPlan } from './stack-plan.js';
import type { Consumption, DbEngine, IntegrationKind } from './types.js';

/**
 * Which provider instance serves which consumer. Every generator asks here, so the detection report and the
 * generated files can never disagree about who is wired to whom.
 */
export class Wiring {
  constructor(private readonly plan: StackPlan) {}

  get instances(): readonly PlannedInstance[] {
    return this.plan.instances;
  }

  providers(kind: IntegrationKind, engines?: readonly DbEngine[]): PlannedInstance[] {
    return providersIn(this.plan.instances, kind, engines);
  }

  /** The first provider of a kind in the stack, if any. */
  provider(kind: IntegrationKind, engines?: readonly DbEngine[]): PlannedInstance | undefined {
    return this.providers(kind, engines)[0];
  }

  /** The provider serving one consumption of a consumer; a provider serves itself only for metrics. */
  providerFor(consumer: PlannedInstance, consumption: Consumption): PlannedInstance | undefined {
    return this.providers(consumption.kind, consumption.engines).find(
      (p) => p !== consumer || consumption.kind === 'metrics_collector',
    );
  }

  /** The provider of a consumer for a kind (and engines), when the consumer declares that consumption. */
  of(consumer: PlannedInstance, kind: IntegrationKind, engine?: DbEngine): PlannedInstance | undefined {
    const consumption = consumer.def.consumes.find(
      (c) => c.kind === kind && (engine === undefined || (c.engines ?? []).includes(engine)),
    );
    return consumption === undefined ? undefined : this.providerFor(consumer, consumption);
  }

  /** Consumers of a kind served by this provider, with what the builder configures in each. */
  consumersOf(
    provider: PlannedInstance,
    kind: IntegrationKind,
  ): { consumer: PlannedInstance; consumption: Consumption }[] {
    const out: { consumer: PlannedInstance; consumption: Consumption }[] = [];
    for (const consumer of this.plan.instances)
      for (const consumption of consumer.def.consumes)
        if (consumption.kind === kind && this.providerFor(consumer, consumption) === provider)
          out.push({ consumer, consumption });
    return out;
  }

  has(appId: string): boolean {
    return this.plan.instances.some((i) => i.appId === appId);
  }

  byApp(appId: string): PlannedInstance[] {
    return this.plan.instances.filter((i) => i.appId === appId);
  }
}
