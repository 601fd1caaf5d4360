import type { DetectionReport } from './integration-detector.js';
import type { IntegrationTypeView } from './integration-registry.js';
import type { StackBundle } from './stack-builder.js';
import type { StackTemplate } from './templates.js';
import type { ServiceDefinition } from './types.js';

/** snake_case views of the stack builder's objects, for HTTP answers and the CLI's JSON output. */
export function serviceView(d: ServiceDefinition) {
  return {
    id: d.id,
    name: d.name,
    category: d.category,
    description: d.description,
    image: d.image,
    ports: d.ports.map((p) => ({
      container: p.container,
      host: p.host,
      name: p.name,
      protocol: p.protocol ?? 'tcp',
      loopback: p.loopback ?? false,
      http: p.http ?? false,
      tls_only: p.tlsOnly ?? false,
    })),
    environment: { ...d.environment },
    volumes: d.volumes.map((v) => ({ name: v.name, target: v.target })),
    healthcheck: 'test' in d.healthcheck ? { test: [...d.healthcheck.test] } : { none: d.healthcheck.none },
    provides: d.provides.map((p) => ({ kind: p.kind, ...(p.engine ? { engine: p.engine } : {}) })),
    consumes: d.consumes.map((c) => ({
      kind: c.kind,
      ...(c.engines ? { engines: [...c.engines] } : {}),
      required: c.required,
      configures: c.configures,
    })),
    secrets: d.secrets.map((s) => ({ key: s.key, kind: s.kind, description: s.description })),
    web: d.web ? { port: d.web.port, subdomain: d.web.subdomain } : null,
    metrics: d.metrics ? { port: d.metrics.port, path: d.metrics.path } : null,
    docs: d.docs,
  };
}

export function integrationTypeView(t: IntegrationTypeView) {
  return {
    kind: t.kind,
    display_name: t.displayName,
    description: t.description,
    providers: t.providers,
    consumers: t.consumers,
  };
}

export function templateView(t: StackTemplate) {
  return { id: t.id, name: t.name, description: t.description, services: [...t.services], settings: t.settings };
}

export function reportView(r: DetectionReport) {
  return {
    integrations: r.integrations.map((i) => ({
      kind: i.kind,
      display_name: i.displayName,
      provider: { instance_name: i.provider.instanceName, app_id: i.provider.appId },
      consumers: i.consumers.map((c) => ({ instance_name: c.instanceName, app_id: c.appId, configures: c.configures })),
    })),
    conflicts: r.conflicts.map((c) => ({
      type: c.type,
      severity: c.severity,
      message: c.message,
      services: c.services,
      ...(c.kind ? { kind: c.kind } : {}),
      ...(c.port !== undefined ? { port: c.port } : {}),
      ...(c.resolution ? { resolution: c.resolution } : {}),
    })),
    recommendations: r.recommendations.map((x) => ({ app_id: x.appId, kind: x.kind, reason: x.reason, for: x.for })),
  };
}

export function bundleView(b: StackBundle) {
  return {
    files: b.files.map((f) => ({
      path: f.path,
      content: f.content,
      ...(f.mode === undefined ? {} : { mode: f.mode }),
    })),
    services: b.services.map((s) => ({ name: s.name, app_id: s.appId, image: s.image, url: s.url })),
    ...reportView(b.report),
    warnings: b.warnings,
    secrets: b.secrets.map((x) => ({ env_var: x.envVar, description: x.description, audience: x.audience })),
    post_start: b.postStart.map((p) => ({ script: p.script, description: p.description })),
    template: b.template,
    seeded: b.seeded,
  };
}
