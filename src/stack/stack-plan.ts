import type { FieldProblem } from '../kernel/index.js';
import type { PortAllocator, PortAssignment, PortClaim, PortCollision } from './port-allocator.js';
import type { ServiceCatalog } from './service-catalog.js';
import { DEFAULT_SETTINGS, parseSettings, type RawSettings } from './settings.js';
import { findTemplate, STACK_TEMPLATES, type StackTemplate } from './templates.js';
import type {
  DbEngine,
  InstanceRequest,
  IntegrationKind,
  PortSpec,
  ServiceDefinition,
  StackSettings,
} from './types.js';

/** A port of a planned instance: published on the host or only reachable inside the stack network. */
export interface PlannedPort extends PortSpec {
  published: boolean;
  /** Host port after allocation; equals `host` of the spec unless the caller or a collision moved it. */
  hostPort: number;
  explicit: boolean;
  /** Why the port is not published, for the README. */
  unpublishedBecause?: string;
}

export interface PlannedInstance {
  name: string;
  appId: string;
  def: ServiceDefinition;
  /** Position in the request (template services first), for field names in errors. */
  index: number;
  ports: PlannedPort[];
}

export interface StackPlan {
  /** Which request entry each instance came from, for field names in errors (`instances.2`). */
  fields: ReadonlyMap<string, string>;
  instances: PlannedInstance[];
  settings: StackSettings;
  template: StackTemplate | null;
  collisions: PortCollision[];
  /** Default ports that moved because another service had them. */
  movedPorts: PortAssignment[];
}

export interface StackRequest {
  instances?: readonly InstanceRequest[];
  template?: string;
  settings?: RawSettings | unknown;
}

const INSTANCE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Turns a request (template and/or instances, settings) into a plan: catalog services with unique names and
 * conflict-free host ports, and checked settings. Collects every problem; the caller decides whether they
 * are fatal (generate) or reported (detect).
 */
export function planStack(
  catalog: ServiceCatalog,
  allocator: PortAllocator,
  request: StackRequest,
): { plan: StackPlan; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  let template: StackTemplate | null = null;
  const requested: { req: InstanceRequest; field: string; fromTemplate: boolean }[] = [];

  if (request.template !== undefined) {
    template = findTemplate(request.template) ?? null;
    if (template === null)
      problems.push({
        field: 'template',
        message: `unknown template '${request.template}'; one of: ${STACK_TEMPLATES.map((t) => t.id).join(', ')}`,
      });
    else
      for (const appId of template.services) requested.push({ req: { appId }, field: 'template', fromTemplate: true });
  }
  for (const [i, req] of (request.instances ?? []).entries())
    requested.push({ req, field: `instances.${i}`, fromTemplate: false });
  if (requested.length === 0 && problems.length === 0)
    problems.push({ field: 'instances', message: 'choose at least one service, or a template' });

  const instances: PlannedInstance[] = [];
  const overrides = new Map<string, { ports: Record<string, number>; field: string }>();
  for (const { req, field, fromTemplate } of requested) {
    const def = catalog.get(req.appId);
    if (!def) {
      const hint = catalog.suggest(req.appId);
      problems.push({
        field: `${field}.app_id`,
        message: `unknown service '${req.appId}'${hint ? `; did you mean '${hint}'?` : ''} (GET /api/v1/stack/catalog lists them)`,
      });
      continue;
    }
    let name = req.instanceName;
    if (name !== undefined) {
      if (!INSTANCE_NAME.test(name)) {
        problems.push({
          field: `${field}.instance_name`,
          message: 'lower-case letters, digits and -, starting with a letter, at most 40 characters',
        });
        continue;
      }
    } else {
      name = def.id;
      // A caller's instance with the template's default name refines that instance instead of adding one.
      const templated = instances.find((x) => x.name === name);
      if (templated && !fromTemplate) {
        overrides.set(name, { ports: { ...(req.ports ?? {}) }, field });
        continue;
      }
      for (let n = 2; instances.some((x) => x.name === name); n++) name = `${def.id}-${n}`;
    }
    if (instances.some((x) => x.name === name)) {
      problems.push({ field: `${field}.instance_name`, message: `'${name}' is used by another service of the stack` });
      continue;
    }
    instances.push({ name, appId: def.id, def, index: instances.length, ports: [] });
    if (req.ports) overrides.set(name, { ports: { ...req.ports }, field });
  }

  // Settings: defaults, then the template's, then the caller's.
  const fromTemplate = parseSettings(template?.settings, DEFAULT_SETTINGS).settings;
  const parsed = parseSettings(request.settings, fromTemplate);
  problems.push(...parsed.problems);
  const settings = parsed.settings;

  const has = (kind: IntegrationKind, ids?: string[]) =>
    instances.some((i) => i.def.provides.some((p) => p.kind === kind) && (ids === undefined || ids.includes(i.appId)));
  if (settings.reverseProxy.enableHttps && !has('reverse_proxy'))
    problems.push({
      field: 'settings.reverse_proxy.enable_https',
      message: 'needs a reverse proxy in the stack (traefik or nginx-proxy-manager) to terminate HTTPS',
    });

  const withTraefik = has('reverse_proxy', ['traefik']);
  const withBroker = has('mqtt_broker');
  const claims: PortClaim[] = [];
  const claimOf = new Map<PlannedPort, number>();
  for (const inst of instances) {
    const override = overrides.get(inst.name);
    for (const [key, hostPort] of Object.entries(override?.ports ?? {})) {
      const known = inst.def.ports.some((p) => String(p.container) === key);
      if (!known)
        problems.push({
          field: `${override!.field}.ports.${key}`,
          message: `${inst.def.name} has no container port ${key} (it has ${inst.def.ports.map((p) => p.container).join(', ') || 'none'})`,
        });
      else if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535)
        problems.push({ field: `${override!.field}.ports.${key}`, message: 'must be a whole number from 1 to 65535' });
    }
    for (const spec of inst.def.ports) {
      const explicitHost = override?.ports[String(spec.container)];
      const explicit = explicitHost !== undefined;
      let unpublishedBecause: string | undefined;
      if (!explicit) {
        if (spec.tlsOnly && !settings.mqtt.enableTls) unpublishedBecause = 'MQTT TLS is not enabled';
        else if (spec.http && withTraefik) unpublishedBecause = 'reached through Traefik';
        else if (inst.appId === 'fieldline' && spec.name === 'mqtt' && withBroker)
          unpublishedBecause = "the stack's broker replaces the embedded one";
      }
      const container = spec.container;
      const preferred = explicitHost ?? (spec.tlsOnly ? settings.mqtt.tlsPort : spec.host);
      const port: PlannedPort = {
        ...spec,
        container,
        published: unpublishedBecause === undefined,
        hostPort: preferred,
        explicit,
        ...(unpublishedBecause === undefined ? {} : { unpublishedBecause }),
      };
      inst.ports.push(port);
      if (port.published) {
        claimOf.set(port, claims.length);
        claims.push({ instance: inst.name, container, preferred, explicit, protocol: spec.protocol ?? 'tcp' });
      }
    }
  }
  const { assignments, collisions } = allocator.allocate(claims);
  for (const inst of instances)
    for (const port of inst.ports) {
      const i = claimOf.get(port);
      if (i !== undefined) port.hostPort = assignments[i]!.host;
    }
  const movedPorts = assignments.filter((a) => a.host !== a.preferred);
  const fields = new Map<string, string>();
  for (const [name, o] of overrides) fields.set(name, o.field);
  return { plan: { fields, instances, settings, template, collisions, movedPorts }, problems };
}

/** The instances that provide a kind (and, for databases, one of the engines), in stack order. */
export function providersIn(
  instances: readonly PlannedInstance[],
  kind: IntegrationKind,
  engines?: readonly DbEngine[],
): PlannedInstance[] {
  const matches = instances.filter((i) =>
    i.def.provides.some(
      (p) => p.kind === kind && (engines === undefined || (p.engine !== undefined && engines.includes(p.engine))),
    ),
  );
  if (engines === undefined) return matches;
  // Consumers list engines by preference (Fieldline: TimescaleDB before plain PostgreSQL).
  const rank = (i: PlannedInstance) => engines.indexOf(i.def.provides.find((p) => p.kind === kind)!.engine!);
  return [...matches].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
}
