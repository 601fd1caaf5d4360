import { Type } from 'typebox';
import type { Http } from '../../http/server.js';
import { grafanaProvisioning, provisioningZip } from './provisioning.js';

export interface GrafanaRouteDeps {
  databaseUrl: string | null;
}

/**
 * `GET /api/v1/grafana/provisioning.zip`: what `fieldline grafana export` writes, as a download. Platform
 * administrators only: the SQL dashboards read every organization's data, and the file names the database
 * host and user (never a password).
 */
export function registerGrafanaRoutes(http: Http, deps: GrafanaRouteDeps): void {
  http.get(
    '/api/v1/grafana/provisioning.zip',
    {
      config: { auth: 'platform_admin' },
      schema: {
        tags: ['observability'],
        querystring: Type.Object({
          prometheus_url: Type.Optional(Type.String({ format: 'uri', maxLength: 500, pattern: '^https?://' })),
        }),
      },
    },
    async (request, reply) => {
      const files = grafanaProvisioning({
        databaseUrl: deps.databaseUrl,
        prometheusUrl: request.query.prometheus_url ?? 'http://prometheus:9090',
      });
      const zip = provisioningZip(files, new Date());
      return reply
        .type('application/zip')
        .header('content-disposition', 'attachment; filename="fieldline-grafana.zip"')
        .send(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength));
    },
  );
}
