import type { StackContext } from '../stack-context.js';
import type { PlannedInstance } from '../stack-plan.js';
import { CertificateAuthority, type IssuedCertificate } from './certificate-authority.js';

const authorities = new WeakMap<StackContext, Promise<CertificateAuthority>>();

/** The stack's CA, created once per bundle and written to tls/ (its key readable by the owner only). */
function authorityOf(ctx: StackContext): Promise<CertificateAuthority> {
  let ca = authorities.get(ctx);
  if (!ca) {
    ca = CertificateAuthority.create(
      `${ctx.settings.projectName} CA`,
      (l, n, o) => ctx.secrets.bytes(l, n, o),
      ctx.now,
    ).then(async (authority) => {
      ctx.addFile('tls/ca.crt', authority.certificatePem);
      ctx.addFile('tls/ca.key', await authority.privateKeyPem(), 0o600);
      return authority;
    });
    authorities.set(ctx, ca);
  }
  return ca;
}

/**
 * The CA certificate and a server certificate for a broker: valid for its service name inside the stack,
 * for localhost, and for mqtt.<base domain> and <instance>.<base domain> outside.
 */
export async function brokerCertificate(
  ctx: StackContext,
  broker: PlannedInstance,
): Promise<IssuedCertificate & { caPem: string }> {
  const ca = await authorityOf(ctx);
  const domain = ctx.settings.reverseProxy.baseDomain;
  const dnsNames = [...new Set([broker.name, 'localhost', `mqtt.${domain}`, `${broker.name}.${domain}`, domain])];
  const issued = await ca.issueServer({
    commonName: `mqtt.${domain}`,
    dnsNames,
    ipAddresses: ['127.0.0.1'],
    keyLabel: `tls/${broker.name}`,
  });
  return { ...issued, caPem: ca.certificatePem };
}
