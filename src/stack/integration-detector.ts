import { INTEGRATION_TYPES } from './integration-registry.js';
import type { StackPlan } from './stack-plan.js';
import { INTEGRATION_KINDS, type IntegrationKind } from './types.js';
import { Wiring } from './wiring.js';

export interface DetectedIntegration {
  kind: IntegrationKind;
  displayName: string;
  provider: { instanceName: string; appId: string };
  consumers: { instanceName: string; appId: string; configures: string }[];
}

export type ConflictType = 'duplicate_provider' | 'port_conflict' | 'missing_provider';

export interface Conflict {
  type: ConflictType;
  /** `error`: generate refuses; `warning`: generate resolves it as `resolution` says. */
  severity: 'error' | 'warning';
  message: string;
  services: string[];
  kind?: IntegrationKind;
  port?: number;
  resolution?: string;
}

export interface Recommendation {
  appId: string;
  kind: IntegrationKind | null;
  reason: string;
  /** The instances that would benefit. */
  for: string[];
}

export interface DetectionReport {
  integrations: DetectedIntegration[];
  conflicts: Conflict[];
  recommendations: Recommendation[];
}

/** Finds the integrations between the services of a plan, what conflicts, and what is worth adding. */
export class IntegrationDetector {
  detect(plan: StackPlan): DetectionReport {
    const wiring = new Wiring(plan);
    const integrations: DetectedIntegration[] = [];
    for (const kind of INTEGRATION_KINDS)
      for (const provider of wiring.providers(kind)) {
        const consumers = wiring.consumersOf(provider, kind);
        if (consumers.length === 0) continue;
        integrations.push({
          kind,
          displayName: INTEGRATION_TYPES[kind].displayName,
          provider: { instanceName: provider.name, appId: provider.appId },
          consumers: consumers.map(({ consumer, consumption }) => ({
            instanceName: consumer.name,
            appId: consumer.appId,
            configures: consumption.configures,
          })),
        });
      }
    return {
      integrations,
      conflicts: this.conflicts(plan, wiring),
      recommendations: this.recommendations(plan, wiring),
    };
  }

  private conflicts(plan: StackPlan, wiring: Wiring): Conflict[] {
    const out: Conflict[] = [];
    for (const kind of INTEGRATION_KINDS) {
      const providers = wiring.providers(kind);
      if (!INTEGRATION_TYPES[kind].exclusive || providers.length < 2) continue;
      const [first, ...rest] = providers;
      out.push({
        type: 'duplicate_provider',
        severity: 'warning',
        kind,
        services: providers.map((p) => p.name),
        message: `${providers.length} ${INTEGRATION_TYPES[kind].displayName.toLowerCase()} providers: ${providers.map((p) => p.name).join(', ')}`,
        resolution: `services are wired to ${first!.name} only; ${rest.map((p) => p.name).join(', ')} ${rest.length === 1 ? 'runs' : 'run'} unconfigured${kind === 'reverse_proxy' ? ' on other host ports' : ''}`,
      });
    }
    for (const c of plan.collisions) {
      const [keeper, ...moved] = c.claims;
      const services = c.claims.map((x) => x.instance);
      const resolution = c.unresolvable
        ? undefined
        : moved
            .map((m) => {
              const inst = plan.instances.find((i) => i.name === m.instance);
              const port = inst?.ports.find((p) => p.container === m.container && p.published);
              return `${m.instance} is published on ${port?.hostPort ?? '?'} instead`;
            })
            .join('; ');
      out.push({
        type: 'port_conflict',
        severity: c.unresolvable ? 'error' : 'warning',
        port: c.port,
        services,
        message: `host port ${c.port}/${c.protocol} is wanted by ${services.join(' and ')} (${keeper!.instance} keeps it)`,
        ...(resolution === undefined ? {} : { resolution }),
      });
    }
    for (const consumer of plan.instances)
      for (const consumption of consumer.def.consumes) {
        if (!consumption.required || wiring.providerFor(consumer, consumption)) continue;
        const wanted =
          consumption.engines?.join(' or ') ?? INTEGRATION_TYPES[consumption.kind].displayName.toLowerCase();
        out.push({
          type: 'missing_provider',
          severity: 'warning',
          kind: consumption.kind,
          services: [consumer.name],
          message: `${consumer.name} needs ${wanted} (${consumption.configures}) but the stack has none`,
          resolution: `add ${this.recommendedFor(consumption.kind, consumption.engines)}; until then ${consumer.name} starts unconfigured`,
        });
      }
    return out;
  }

  private recommendedFor(kind: IntegrationKind, engines?: readonly string[]): string {
    return engines?.[0] ?? INTEGRATION_TYPES[kind].recommendedProvider;
  }

  private recommendations(plan: StackPlan, wiring: Wiring): Recommendation[] {
    const out = new Map<string, Recommendation>();
    const add = (appId: string, kind: IntegrationKind | null, reason: string, forNames: string[]) => {
      if (wiring.has(appId)) return;
      const existing = out.get(appId);
      if (existing) existing.for = [...new Set([...existing.for, ...forNames])];
      else out.set(appId, { appId, kind, reason, for: forNames });
    };
    for (const consumer of plan.instances)
      for (const consumption of consumer.def.consumes)
        if (consumption.required && !wiring.providerFor(consumer, consumption))
          add(
            this.recommendedFor(consumption.kind, consumption.engines),
            consumption.kind,
            `${consumer.name} needs it: ${consumption.configures}`,
            [consumer.name],
          );

    for (const grafana of wiring.byApp('grafana'))
      if (wiring.consumersOf(grafana, 'visualization').length === 0)
        add('prometheus', 'visualization', 'Grafana has no datasource to show; Prometheus becomes its default one', [
          grafana.name,
        ]);
    for (const keycloak of wiring.byApp('keycloak'))
      if (!wiring.of(keycloak, 'email'))
        add('mailpit', 'email', 'Keycloak has no mail server for password resets and e-mail verification', [
          keycloak.name,
        ]);
    for (const fieldline of wiring.byApp('fieldline')) {
      if (!wiring.of(fieldline, 'db_provider', 'postgres'))
        add('timescaledb', 'db_provider', 'Fieldline runs on an embedded SQLite file; TimescaleDB lets it scale out', [
          fieldline.name,
        ]);
      if (!wiring.of(fieldline, 'email'))
        add('mailpit', 'email', 'Fieldline keeps alert mail in its built-in mailbox without an SMTP server', [
          fieldline.name,
        ]);
    }
    for (const prometheus of wiring.byApp('prometheus'))
      if (!wiring.has('grafana'))
        add('grafana', 'visualization', 'dashboards for the metrics Prometheus collects', [prometheus.name]);
    for (const loki of wiring.byApp('loki'))
      if (!wiring.has('alloy'))
        add('alloy', 'log_aggregation', 'Loki receives no logs without a shipper; Alloy sends every container log', [
          loki.name,
        ]);
    const webUis = plan.instances.filter((i) => i.def.web !== undefined);
    if (webUis.length >= 3 && wiring.providers('reverse_proxy').length === 0)
      add(
        'traefik',
        'reverse_proxy',
        'one subdomain per web UI and HTTPS instead of a port number for each',
        webUis.map((i) => i.name),
      );
    return [...out.values()];
  }
}
