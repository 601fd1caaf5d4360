import { FieldlineError, type FieldProblem } from '../kernel/index.js';
import { writeCompose } from './generators/compose.js';
import { configureDatabases } from './generators/databases.js';
import { configureEmqx } from './generators/emqx.js';
import { writeEnvFile } from './generators/env-file.js';
import { configureGrafana } from './generators/grafana.js';
import { configureIgnition } from './generators/ignition.js';
import { configureKeycloak } from './generators/keycloak.js';
import { configureLogging } from './generators/logging.js';
import { configureMosquitto } from './generators/mosquitto.js';
import { configureNginxProxyManager } from './generators/nginx-proxy-manager.js';
import { configureNodeRed } from './generators/node-red.js';
import { configureNtfy } from './generators/ntfy.js';
import { configurePortainer } from './generators/portainer.js';
import { configurePrometheus } from './generators/prometheus.js';
import { writeReadme } from './generators/readme.js';
import { wireBrokerClients, wireEmail, wireFieldline } from './generators/service-wiring.js';
import { writeStartScripts } from './generators/start-scripts.js';
import { configureTelegraf } from './generators/telegraf.js';
import { configureTraefik } from './generators/traefik.js';
import { configureVault } from './generators/vault.js';
import { type DetectionReport, IntegrationDetector } from './integration-detector.js';
import { PortAllocator } from './port-allocator.js';
import { SecretSource } from './secret-source.js';
import { ServiceCatalog } from './service-catalog.js';
import { type DashboardProvider, type PostStartStep, StackContext } from './stack-context.js';
import { planStack, type StackPlan, type StackRequest } from './stack-plan.js';
import { StackSecrets } from './stack-secrets.js';
import type { GeneratedFile, StackSettings } from './types.js';

export interface StackBuilderOptions {
  catalog?: ServiceCatalog;
  /** Extra Grafana dashboards (Fieldline's own, from the observability module, when it lands). */
  dashboardProviders?: readonly DashboardProvider[];
  now?: () => Date;
}

export interface BuildOptions {
  /** Same seed, same secrets and keys. Omitted: 256 fresh random bits. */
  seed?: string;
}

export interface StackBundle {
  /** Sorted by path. */
  files: GeneratedFile[];
  services: { name: string; appId: string; image: string; url: string | null }[];
  report: DetectionReport;
  warnings: string[];
  postStart: PostStartStep[];
  /** Every secret's .env name and who is meant to know it (values are only in the .env file). */
  secrets: { envVar: string; description: string; audience: string[] }[];
  settings: StackSettings;
  template: string | null;
  seeded: boolean;
}

type Generator = (ctx: StackContext) => void | Promise<void>;

/**
 * Order matters: secrets are defined by the generators that need them (databases, brokers, realm) before
 * the ones that list or store them (Grafana datasources, Vault, .env, README).
 */
const PIPELINE: readonly Generator[] = [
  configureDatabases,
  configureMosquitto,
  configureEmqx,
  wireBrokerClients,
  wireEmail,
  wireFieldline,
  configureNodeRed,
  configureTelegraf,
  configureKeycloak,
  configureGrafana,
  configurePrometheus,
  configureLogging,
  configureTraefik,
  configureNginxProxyManager,
  configureNtfy,
  configurePortainer,
  configureIgnition,
  configureVault,
];

/** Plans, detects and generates stack bundles from the catalog. Stateless between calls. */
export class StackBuilder {
  readonly catalog: ServiceCatalog;
  private readonly allocator = new PortAllocator();
  private readonly detector = new IntegrationDetector();
  private readonly dashboardProviders: readonly DashboardProvider[];
  private readonly now: () => Date;

  constructor(options: StackBuilderOptions = {}) {
    this.catalog = options.catalog ?? new ServiceCatalog();
    this.dashboardProviders = options.dashboardProviders ?? [];
    this.now = options.now ?? (() => new Date());
  }

  /** Integrations, conflicts and recommendations of a selection; refuses only unknown services and bad input. */
  detect(request: StackRequest): DetectionReport & { plan: StackPlan } {
    const plan = this.plan(request, false);
    return { ...this.detector.detect(plan), plan };
  }

  async generate(request: StackRequest, options: BuildOptions = {}): Promise<StackBundle> {
    const plan = this.plan(request, true);
    const report = this.detector.detect(plan);
    const secrets = new StackSecrets(new SecretSource(options.seed));
    const ctx = new StackContext(plan, secrets, report, this.now(), this.dashboardProviders);
    for (const generate of PIPELINE) await generate(ctx);
    writeCompose(ctx);
    writeEnvFile(ctx, options.seed !== undefined);
    writeStartScripts(ctx);
    writeReadme(ctx);
    return {
      files: [...ctx.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      services: plan.instances.map((i) => ({
        name: i.name,
        appId: i.appId,
        image: i.def.image,
        url: ctx.publicUrl(i),
      })),
      report,
      warnings: ctx.warnings,
      postStart: ctx.postStart,
      secrets: secrets.list().map((x) => ({ envVar: x.envVar, description: x.description, audience: [...x.audience] })),
      settings: plan.settings,
      template: plan.template?.id ?? null,
      seeded: options.seed !== undefined,
    };
  }

  private plan(request: StackRequest, strict: boolean): StackPlan {
    const { plan, problems } = planStack(this.catalog, this.allocator, request);
    if (strict) problems.push(...generationProblems(plan));
    if (problems.length > 0)
      throw new FieldlineError(
        'FIELDLINE_ERR_VALIDATION',
        `Invalid stack: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        { errors: problems },
      );
    return plan;
  }
}

/** What detect reports as a conflict but generate cannot resolve by itself. */
function generationProblems(plan: StackPlan): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const c of plan.collisions.filter((c) => c.unresolvable)) {
    const [keeper, other] = c.claims;
    problems.push({
      field: `${plan.fields.get(other!.instance) ?? 'instances'}.ports.${other!.container}`,
      message: `host port ${c.port} is also given to ${keeper!.instance}; two services cannot publish the same port`,
    });
  }
  const mqttUser = plan.settings.mqtt.username;
  const clash = plan.instances.find((i) => i.name === mqttUser && i.def.consumes.some((c) => c.kind === 'mqtt_broker'));
  if (clash)
    problems.push({
      field: 'settings.mqtt.username',
      message: `'${mqttUser}' is the broker user of the service ${clash.name}; choose another name`,
    });
  return problems;
}
