import type { Static } from 'typebox';
import type { AuditLog } from '../audit/index.js';
import { principalOf } from '../auth/index.js';
import type { Http } from '../http/server.js';
import { bundleZip } from './bundle-zip.js';
import { DetectBody, GenerateBody } from './http-schemas.js';
import { IntegrationRegistry } from './integration-registry.js';
import type { StackBuilder } from './stack-builder.js';
import type { StackRequest } from './stack-plan.js';
import { STACK_TEMPLATES } from './templates.js';
import { bundleView, integrationTypeView, reportView, serviceView, templateView } from './views.js';

export interface StackRouteDeps {
  builder: StackBuilder;
  audit?: AuditLog;
}

/** The body's snake_case selection as the builder's request. */
export function toStackRequest(body: Static<typeof DetectBody>): StackRequest {
  return {
    ...(body.instances
      ? {
          instances: body.instances.map((i) => ({
            appId: i.app_id,
            ...(i.instance_name === undefined ? {} : { instanceName: i.instance_name }),
            ...(i.ports === undefined ? {} : { ports: i.ports }),
          })),
        }
      : {}),
    ...(body.template === undefined ? {} : { template: body.template }),
    ...(body.settings === undefined ? {} : { settings: body.settings }),
  };
}

/**
 * Stack builder routes. Reading the catalog and templates needs any member (viewer); detect, generate and
 * download need operator: a bundle is a set of fresh credentials for infrastructure, and who made one is audited.
 */
export function registerStackRoutes(app: Http, deps: StackRouteDeps): void {
  const { builder, audit } = deps;
  const registry = new IntegrationRegistry(builder.catalog);

  app.get('/api/v1/stack/catalog', { config: { auth: 'viewer' }, schema: { tags: ['stack'] } }, async () => ({
    items: builder.catalog.list().map(serviceView),
    integrations: registry.list().map(integrationTypeView),
    next_cursor: null,
  }));

  app.get('/api/v1/stack/templates', { config: { auth: 'viewer' }, schema: { tags: ['stack'] } }, async () => ({
    items: STACK_TEMPLATES.map(templateView),
    next_cursor: null,
  }));

  app.post(
    '/api/v1/stack/detect-integrations',
    { config: { auth: 'operator' }, schema: { tags: ['stack'], body: DetectBody } },
    async (request) => {
      const report = builder.detect(toStackRequest(request.body));
      return {
        services: report.plan.instances.map((i) => ({ instance_name: i.name, app_id: i.appId })),
        ...reportView(report),
      };
    },
  );

  app.post(
    '/api/v1/stack/generate',
    { config: { auth: 'operator' }, schema: { tags: ['stack'], body: GenerateBody } },
    async (request) => {
      const bundle = await builder.generate(toStackRequest(request.body), seedOf(request.body));
      await record(
        request,
        'stack.generated',
        bundle.services.map((s) => s.appId),
        request.body.template,
      );
      return bundleView(bundle);
    },
  );

  app.post(
    '/api/v1/stack/download',
    { config: { auth: 'operator' }, schema: { tags: ['stack'], body: GenerateBody } },
    async (request, reply) => {
      const bundle = await builder.generate(toStackRequest(request.body), seedOf(request.body));
      const zip = bundleZip(bundle.files, new Date());
      await record(
        request,
        'stack.downloaded',
        bundle.services.map((s) => s.appId),
        request.body.template,
      );
      const name = `${bundle.settings.projectName}.zip`;
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength));
    },
  );

  async function record(
    request: Parameters<typeof principalOf>[0],
    action: string,
    services: string[],
    template: string | undefined,
  ): Promise<void> {
    if (!audit) return;
    const p = principalOf(request);
    // Which services, never the secrets.
    await audit.record({
      organizationId: p.organizationId,
      actor: p,
      action,
      resourceType: 'stack',
      details: { services, ...(template === undefined ? {} : { template }) },
      ip: request.ip,
    });
  }
}

function seedOf(body: Static<typeof GenerateBody>): { seed?: string } {
  return body.seed === undefined ? {} : { seed: body.seed };
}
