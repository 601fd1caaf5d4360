import type { DetectionReport } from './integration-detector.js';
import { adminEmail } from './settings.js';
import type { PlannedInstance, StackPlan } from './stack-plan.js';
import { envVarOf, type StackSecrets } from './stack-secrets.js';
import type { GeneratedFile, StackSettings } from './types.js';
import { Wiring } from './wiring.js';

export type DependencyCondition = 'service_healthy' | 'service_started' | 'service_completed_successfully';

/** One service of docker-compose.yml while generators add to it. */
export interface ServiceAssembly {
  readonly instance: PlannedInstance;
  readonly environment: Map<string, string>;
  command: string[] | undefined;
  /** Bind mounts of generated files, relative to the bundle (`./configs/mosquitto`). */
  readonly mounts: { source: string; target: string; readOnly: boolean }[];
  readonly dependsOn: Map<string, DependencyCondition>;
  /** Compose keys the catalog has no field for (cap_add, pid, privileged, devices). */
  readonly extra: Record<string, unknown>;
}

export interface PostStartStep {
  script: string;
  description: string;
}

/** Extra Grafana dashboards from other modules (Fieldline's own dashboards land here later). */
export interface DashboardProvider {
  /** Folder name in Grafana. */
  folder: string;
  /** Dashboard JSON files: file name → content. */
  dashboards(stack: { instances: readonly PlannedInstance[] }): Record<string, string>;
}

/**
 * Everything generators share while building one bundle: the plan, the wiring, the secrets, the files
 * written so far and the services being assembled.
 */
export class StackContext {
  readonly wiring: Wiring;
  readonly files = new Map<string, GeneratedFile>();
  readonly services = new Map<string, ServiceAssembly>();
  readonly postStart: PostStartStep[] = [];
  /** Lines for the README, per instance: what was configured and where its credentials are. */
  readonly notes = new Map<string, string[]>();
  readonly warnings: string[] = [];
  /** .env variables the operator fills in after unpacking (an Ignition API token), with why. */
  readonly operatorVars = new Map<string, string>();

  constructor(
    readonly plan: StackPlan,
    readonly secrets: StackSecrets,
    readonly report: DetectionReport,
    readonly now: Date,
    readonly dashboardProviders: readonly DashboardProvider[] = [],
  ) {
    this.wiring = new Wiring(plan);
    for (const inst of plan.instances) {
      for (const s of inst.def.secrets)
        secrets.define(envVarOf(inst.name, s.key), s.kind, `${inst.name}: ${s.description}`, [inst.name]);
      this.services.set(inst.name, {
        instance: inst,
        environment: new Map(Object.entries(inst.def.environment).map(([k, v]) => [k, this.resolve(inst, v)])),
        command: inst.def.command?.map((c) => this.resolve(inst, c)),
        mounts: (inst.def.hostMounts ?? []).map((m) => ({
          source: m.source,
          target: m.target,
          readOnly: m.readOnly ?? false,
        })),
        dependsOn: new Map(),
        extra: {},
      });
    }
  }

  get settings(): StackSettings {
    return this.plan.settings;
  }

  get instances(): readonly PlannedInstance[] {
    return this.plan.instances;
  }

  service(name: string): ServiceAssembly {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name} in the stack`);
    return s;
  }

  addFile(path: string, content: string, mode?: number): void {
    if (this.files.has(path)) throw new Error(`file ${path} generated twice`);
    this.files.set(path, mode === undefined ? { path, content } : { path, content, mode });
  }

  note(instance: string, line: string): void {
    this.notes.set(instance, [...(this.notes.get(instance) ?? []), line]);
  }

  /** `.env` variable of an instance's catalog secret, as Compose interpolates it. */
  secretRef(instance: string, key: string): string {
    return `\${${envVarOf(instance, key)}}`;
  }

  /** Makes `consumer` wait for `provider` (healthy when the provider has a healthcheck). */
  dependOn(consumer: string, provider: PlannedInstance): void {
    if (consumer === provider.name) return;
    const condition: DependencyCondition = 'test' in provider.def.healthcheck ? 'service_healthy' : 'service_started';
    this.service(consumer).dependsOn.set(provider.name, condition);
  }

  /** Subdomain of an instance behind the reverse proxy. */
  subdomain(inst: PlannedInstance): string {
    return inst.name === inst.appId && inst.def.web ? inst.def.web.subdomain : inst.name;
  }

  get scheme(): 'http' | 'https' {
    return this.settings.reverseProxy.enableHttps ? 'https' : 'http';
  }

  /** Whether web UIs get a subdomain of the base domain (the stack has a reverse proxy). */
  get proxied(): boolean {
    return this.wiring.provider('reverse_proxy') !== undefined;
  }

  /** The URL a browser uses for an instance's web UI. */
  publicUrl(inst: PlannedInstance): string | null {
    if (!inst.def.web) return null;
    if (this.proxied) return `${this.scheme}://${this.subdomain(inst)}.${this.settings.reverseProxy.baseDomain}`;
    return this.directUrl(inst);
  }

  /** The URL on the published host port, when the UI's port is published. */
  directUrl(inst: PlannedInstance): string | null {
    if (!inst.def.web) return null;
    const port = inst.ports.find((p) => p.container === inst.def.web!.port && p.published);
    if (!port) return null;
    return `http://${port.loopback ? '127.0.0.1' : this.settings.reverseProxy.baseDomain}:${port.hostPort}`;
  }

  internalUrl(inst: PlannedInstance, port: number, path = ''): string {
    return `http://${inst.name}:${port}${path}`;
  }

  private resolve(inst: PlannedInstance, value: string): string {
    return value.replace(/\{\{([a-z_]+)(?::([A-Z0-9_]+))?\}\}/g, (whole, name: string, arg: string | undefined) => {
      switch (name) {
        case 'secret':
          return this.secretRef(inst.name, arg!);
        case 'instance':
          return inst.name;
        case 'tz':
          return this.settings.timezone;
        case 'admin_email':
          return adminEmail(this.settings);
        default:
          throw new Error(`unknown placeholder ${whole} in the catalog entry of ${inst.appId}`);
      }
    });
  }
}
