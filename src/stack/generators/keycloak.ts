import { adminEmail, fromAddress } from '../settings.js';
import type { StackContext } from '../stack-context.js';
import { envVarOf } from '../stack-secrets.js';
import { keycloakUrls, oauthClients } from './oauth-clients.js';

const REALM_ROLES = [
  { name: 'admin', description: 'Administrators of the stack (Grafana Admin)' },
  { name: 'editor', description: 'May change dashboards and flows (Grafana Editor)' },
  { name: 'viewer', description: 'Read-only access (Grafana Viewer)' },
];

/**
 * The realm Keycloak imports at start (`start --import-realm`; an existing realm is skipped): realm roles, a
 * first administrator with a temporary password, a confidential client per consumer with its secret and
 * redirect URIs, and the realm-role mapper that puts a `roles` claim in tokens (Grafana maps it to its roles).
 */
export function configureKeycloak(ctx: StackContext): void {
  for (const keycloak of ctx.wiring.byApp('keycloak')) {
    const realm = ctx.settings.oauth.realmName;
    const urls = keycloakUrls(ctx, keycloak);
    const mail = ctx.wiring.of(keycloak, 'email');
    const clients = oauthClients(ctx, keycloak);
    const adminVar = envVarOf(keycloak.name, 'REALM_ADMIN_PASSWORD');
    ctx.secrets.define(adminVar, 'password', `${keycloak.name}: user \`admin\` of realm ${realm} (temporary)`, [
      keycloak.name,
    ]);

    const document = {
      realm,
      enabled: true,
      displayName: `${ctx.settings.projectName} sign-in`,
      // Plain HTTP only from private networks (the stack's own network, localhost, the LAN).
      sslRequired: 'external',
      registrationAllowed: false,
      loginWithEmailAllowed: true,
      duplicateEmailsAllowed: false,
      resetPasswordAllowed: mail !== undefined,
      bruteForceProtected: true,
      roles: { realm: REALM_ROLES },
      users: [
        {
          username: 'admin',
          enabled: true,
          email: adminEmail(ctx.settings),
          emailVerified: true,
          firstName: 'Stack',
          lastName: 'Administrator',
          credentials: [{ type: 'password', value: ctx.secrets.value(adminVar), temporary: true }],
          realmRoles: ['admin', `default-roles-${realm}`],
        },
      ],
      clients: clients.map((c) => ({
        clientId: c.clientId,
        name: c.consumer.def.name,
        enabled: true,
        protocol: 'openid-connect',
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        secret: ctx.secrets.value(c.secretVar),
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        rootUrl: c.rootUrl,
        baseUrl: '/',
        redirectUris: c.redirectUris,
        webOrigins: ['+'],
        attributes: { 'post.logout.redirect.uris': '+' },
        protocolMappers: [
          {
            name: 'realm roles',
            protocol: 'openid-connect',
            protocolMapper: 'oidc-usermodel-realm-role-mapper',
            consentRequired: false,
            config: {
              multivalued: 'true',
              'claim.name': 'roles',
              'jsonType.label': 'String',
              'id.token.claim': 'true',
              'access.token.claim': 'true',
              'userinfo.token.claim': 'true',
              'introspection.token.claim': 'true',
            },
          },
        ],
      })),
      ...(mail
        ? {
            smtpServer: {
              host: mail.name,
              port: '1025',
              from: fromAddress(ctx.settings),
              fromDisplayName: ctx.settings.projectName,
              auth: 'false',
              ssl: 'false',
              starttls: 'false',
            },
          }
        : {}),
    };
    const dir = `configs/${keycloak.name}/import`;
    ctx.addFile(`${dir}/realm-${realm}.json`, `${JSON.stringify(document, null, 2)}\n`);
    const service = ctx.service(keycloak.name);
    service.mounts.push({ source: `./${dir}`, target: '/opt/keycloak/data/import', readOnly: true });
    service.environment.set('KC_HOSTNAME', urls.browser);
    if (ctx.proxied) service.environment.set('KC_PROXY_HEADERS', 'xforwarded');
    ctx.note(
      keycloak.name,
      `Administration console: user \`admin\` of the master realm (${envVarOf(keycloak.name, 'ADMIN_PASSWORD')}). Realm \`${realm}\`: user \`admin\` with a temporary password (${adminVar}) to change at first login; clients ${clients.map((c) => `\`${c.clientId}\``).join(', ') || 'none'}.`,
    );
    wireGrafanaLogin(ctx, keycloak.name, clients);
  }
}

function wireGrafanaLogin(ctx: StackContext, keycloakName: string, clients: ReturnType<typeof oauthClients>): void {
  const keycloak = ctx.instances.find((i) => i.name === keycloakName)!;
  const urls = keycloakUrls(ctx, keycloak);
  for (const client of clients.filter((c) => c.consumer.appId === 'grafana')) {
    const env = ctx.service(client.consumer.name).environment;
    env.set('GF_AUTH_GENERIC_OAUTH_ENABLED', 'true');
    env.set('GF_AUTH_GENERIC_OAUTH_NAME', 'Keycloak');
    env.set('GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP', 'true');
    env.set('GF_AUTH_GENERIC_OAUTH_CLIENT_ID', client.clientId);
    env.set('GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET', `\${${client.secretVar}}`);
    env.set('GF_AUTH_GENERIC_OAUTH_SCOPES', 'openid email profile offline_access roles');
    env.set('GF_AUTH_GENERIC_OAUTH_AUTH_URL', urls.authorize);
    // Token and userinfo calls go server to server inside the stack network.
    env.set('GF_AUTH_GENERIC_OAUTH_TOKEN_URL', urls.token);
    env.set('GF_AUTH_GENERIC_OAUTH_API_URL', urls.userinfo);
    env.set('GF_AUTH_GENERIC_OAUTH_USE_PKCE', 'true');
    env.set('GF_AUTH_GENERIC_OAUTH_EMAIL_ATTRIBUTE_PATH', 'email');
    env.set('GF_AUTH_GENERIC_OAUTH_LOGIN_ATTRIBUTE_PATH', 'preferred_username');
    env.set('GF_AUTH_GENERIC_OAUTH_NAME_ATTRIBUTE_PATH', 'name');
    env.set(
      'GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH',
      "contains(roles[*], 'admin') && 'Admin' || contains(roles[*], 'editor') && 'Editor' || 'Viewer'",
    );
    env.set('GF_AUTH_SIGNOUT_REDIRECT_URL', `${urls.logout}?client_id=${client.clientId}`);
  }
}
