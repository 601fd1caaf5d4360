import type { StackContext } from '../stack-context.js';
import type { PlannedInstance } from '../stack-plan.js';

export interface OAuthClient {
  consumer: PlannedInstance;
  clientId: string;
  /** .env variable of the client secret, known to Keycloak and this consumer only. */
  secretVar: string;
  redirectUris: string[];
  rootUrl: string;
}

/** Where each consumer's OIDC callback lives, relative to its public URL. */
const CALLBACKS: Readonly<Record<string, readonly string[]>> = {
  grafana: ['/login/generic_oauth'],
  fieldline: ['/*'],
  portainer: ['', '/'],
  n8n: ['/rest/sso/oidc/callback'],
  vault: ['/ui/vault/auth/oidc/oidc/callback'],
};

/** The confidential clients Keycloak gets, one per consumer of oauth_provider (when auto-configuration is on). */
export function oauthClients(ctx: StackContext, keycloak: PlannedInstance): OAuthClient[] {
  if (!ctx.settings.oauth.autoConfigureServices) return [];
  return ctx.wiring.consumersOf(keycloak, 'oauth_provider').map(({ consumer }) => {
    const secretVar = `${keycloak.name.toUpperCase().replace(/-/g, '_')}_${consumer.name.toUpperCase().replace(/-/g, '_')}_CLIENT_SECRET`;
    ctx.secrets.define(secretVar, 'token', `${keycloak.name}: secret of the OIDC client \`${consumer.name}\``, [
      keycloak.name,
      consumer.name,
    ]);
    const urls = [
      ...new Set([ctx.publicUrl(consumer), ctx.directUrl(consumer)].filter((u): u is string => u !== null)),
    ];
    const paths = CALLBACKS[consumer.appId] ?? ['/*'];
    const redirectUris = urls.flatMap((u) => paths.map((p) => `${u}${p}`));
    if (consumer.appId === 'vault') redirectUris.push('http://localhost:8250/oidc/callback');
    return { consumer, clientId: consumer.name, secretVar, redirectUris, rootUrl: urls[0] ?? '' };
  });
}

/** Keycloak's URL as browsers see it, and as services inside the stack reach it. */
export function keycloakUrls(ctx: StackContext, keycloak: PlannedInstance) {
  const realm = ctx.settings.oauth.realmName;
  const browser = ctx.publicUrl(keycloak) ?? `http://localhost:${keycloak.ports[0]?.hostPort ?? 8180}`;
  const internal = `http://${keycloak.name}:8080`;
  return {
    browser,
    internal,
    issuer: `${browser}/realms/${realm}`,
    authorize: `${browser}/realms/${realm}/protocol/openid-connect/auth`,
    logout: `${browser}/realms/${realm}/protocol/openid-connect/logout`,
    token: `${internal}/realms/${realm}/protocol/openid-connect/token`,
    userinfo: `${internal}/realms/${realm}/protocol/openid-connect/userinfo`,
  };
}
