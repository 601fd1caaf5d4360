import type { FieldProblem } from '../kernel/index.js';
import type { StackSettings } from './types.js';

/** Settings as a caller sends them (HTTP body or the CLI's --settings file): snake_case, every field optional. */
export interface RawSettings {
  project_name?: string;
  timezone?: string;
  reverse_proxy?: { base_domain?: string; enable_https?: boolean; letsencrypt_email?: string | null };
  mqtt?: { enable_tls?: boolean; username?: string; password?: string | null; tls_port?: number };
  oauth?: { realm_name?: string; auto_configure_services?: boolean };
  database?: { auto_register?: boolean };
  email?: { from_address?: string | null; auto_configure_services?: boolean };
}

/** Safe defaults: no HTTPS (it needs a public domain), no MQTT TLS, services auto-configured. */
export const DEFAULT_SETTINGS: StackSettings = Object.freeze({
  projectName: 'fieldline-stack',
  timezone: 'UTC',
  reverseProxy: { baseDomain: 'localhost', enableHttps: false, letsencryptEmail: null },
  mqtt: { enableTls: false, username: 'iiot', password: null, tlsPort: 8883 },
  oauth: { realmName: 'fieldline', autoConfigureServices: true },
  database: { autoRegister: true },
  email: { fromAddress: null, autoConfigureServices: true },
});

/** Users the builder creates on the broker for services; the stack's own MQTT user may not take these names. */
export const RESERVED_MQTT_USERS = ['healthcheck', 'fieldline', 'node-red', 'telegraf'] as const;

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// RFC 2606 / RFC 6761 names and private-use TLDs: no public CA issues certificates for them.
const NON_PUBLIC_SUFFIXES = ['localhost', 'local', 'test', 'example', 'invalid', 'internal', 'lan', 'home.arpa'];
const EXAMPLE_DOMAINS = ['example.com', 'example.net', 'example.org'];

export function hostnameProblem(value: string): string | null {
  if (value.length === 0 || value.length > 253) return 'must be a host name of 1 to 253 characters';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(':'))
    return 'must be a DNS name, not an IP address: services get one subdomain each';
  if (value !== value.toLowerCase()) return 'must be lower case';
  const labels = value.split('.');
  for (const label of labels) {
    if (!HOST_LABEL.test(label))
      return `'${label}' is not a valid DNS label (letters, digits and inner hyphens, 1 to 63 characters)`;
  }
  return null;
}

export function isPublicDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  if (!d.includes('.')) return false;
  if (EXAMPLE_DOMAINS.some((e) => d === e || d.endsWith(`.${e}`))) return false;
  return !NON_PUBLIC_SUFFIXES.some((s) => d === s || d.endsWith(`.${s}`));
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export function emailProblem(value: string): string | null {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return 'must be an e-mail address (name@domain)';
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return `'${local}' is not a valid mailbox name`;
  const why = hostnameProblem(domain.toLowerCase());
  return why === null ? null : `domain ${why}`;
}

// Characters that would break .env files, shell quoting or Compose interpolation.
const UNSAFE_SECRET_CHARS = /[\s'"\\$`]/;

/**
 * Parses and checks settings, merged over the template's and the defaults. Every problem is reported at
 * once, each with the field it is about (`settings.reverse_proxy.base_domain`).
 */
export function parseSettings(
  raw: unknown,
  base: StackSettings = DEFAULT_SETTINGS,
): { settings: StackSettings; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field: `settings.${field}`, message });
  const s: StackSettings = structuredClone(base);
  if (raw === undefined || raw === null) return { settings: s, problems };
  if (!isObject(raw)) {
    problems.push({ field: 'settings', message: 'must be an object' });
    return { settings: s, problems };
  }

  const sections: Record<string, readonly string[]> = {
    project_name: [],
    timezone: [],
    reverse_proxy: ['base_domain', 'enable_https', 'letsencrypt_email'],
    mqtt: ['enable_tls', 'username', 'password', 'tls_port'],
    oauth: ['realm_name', 'auto_configure_services'],
    database: ['auto_register'],
    email: ['from_address', 'auto_configure_services'],
  };
  for (const key of Object.keys(raw)) if (!(key in sections)) problem(key, 'is not a known field');

  const str = (field: string, v: unknown, check: (v: string) => string | null): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return void problem(field, 'must be a string');
    const why = check(v);
    if (why !== null) return void problem(field, why);
    return v;
  };
  const bool = (field: string, v: unknown): boolean | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return void problem(field, 'must be true or false');
    return v;
  };
  const section = (name: string): Record<string, unknown> => {
    const v = raw[name];
    if (v === undefined) return {};
    if (!isObject(v)) {
      problem(name, 'must be an object');
      return {};
    }
    for (const key of Object.keys(v))
      if (!sections[name]?.includes(key)) problem(`${name}.${key}`, 'is not a known field');
    return v;
  };

  const projectName = str('project_name', raw.project_name, (v) =>
    /^[a-z0-9][a-z0-9_-]{0,62}$/.test(v)
      ? null
      : 'lower-case letters, digits, - and _, starting with a letter or digit',
  );
  if (projectName !== undefined) s.projectName = projectName;
  const tz = str('timezone', raw.timezone, (v) =>
    v === 'UTC' || Intl.supportedValuesOf('timeZone').includes(v) ? null : `'${v}' is not an IANA time zone`,
  );
  if (tz !== undefined) s.timezone = tz;

  const rp = section('reverse_proxy');
  const domain = str('reverse_proxy.base_domain', rp.base_domain, hostnameProblem);
  if (domain !== undefined) s.reverseProxy.baseDomain = domain;
  const https = bool('reverse_proxy.enable_https', rp.enable_https);
  if (https !== undefined) s.reverseProxy.enableHttps = https;
  if (rp.letsencrypt_email === null) s.reverseProxy.letsencryptEmail = null;
  else {
    const email = str('reverse_proxy.letsencrypt_email', rp.letsencrypt_email, emailProblem);
    if (email !== undefined) s.reverseProxy.letsencryptEmail = email;
  }

  const mq = section('mqtt');
  const tls = bool('mqtt.enable_tls', mq.enable_tls);
  if (tls !== undefined) s.mqtt.enableTls = tls;
  const username = str('mqtt.username', mq.username, (v) => {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) return '1 to 64 letters, digits, . _ or -';
    return (RESERVED_MQTT_USERS as readonly string[]).includes(v)
      ? `'${v}' is the broker user of a service; choose another name`
      : null;
  });
  if (username !== undefined) s.mqtt.username = username;
  if (mq.password === null) s.mqtt.password = null;
  else {
    const password = str('mqtt.password', mq.password, (v) => {
      if (v.length < 12 || v.length > 128) return 'must be 12 to 128 characters (omit it to get a generated one)';
      return UNSAFE_SECRET_CHARS.test(v) ? 'must not contain spaces, quotes, backslashes or $' : null;
    });
    if (password !== undefined) s.mqtt.password = password;
  }
  if (mq.tls_port !== undefined) {
    const port = mq.tls_port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      problem('mqtt.tls_port', 'must be a whole number from 1 to 65535');
    else if ([1883, 9001, 8083, 18083].includes(port))
      problem('mqtt.tls_port', `${port} is taken by another broker listener (plain MQTT or WebSocket)`);
    else s.mqtt.tlsPort = port;
  }

  const oa = section('oauth');
  const realm = str('oauth.realm_name', oa.realm_name, (v) => {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(v)) return 'lower-case letters, digits, - and _ (1 to 63)';
    return v === 'master' ? "'master' is Keycloak's administration realm; choose another name" : null;
  });
  if (realm !== undefined) s.oauth.realmName = realm;
  const oauthAuto = bool('oauth.auto_configure_services', oa.auto_configure_services);
  if (oauthAuto !== undefined) s.oauth.autoConfigureServices = oauthAuto;

  const db = section('database');
  const register = bool('database.auto_register', db.auto_register);
  if (register !== undefined) s.database.autoRegister = register;

  const em = section('email');
  if (em.from_address === null) s.email.fromAddress = null;
  else {
    const from = str('email.from_address', em.from_address, emailProblem);
    if (from !== undefined) s.email.fromAddress = from;
  }
  const mailAuto = bool('email.auto_configure_services', em.auto_configure_services);
  if (mailAuto !== undefined) s.email.autoConfigureServices = mailAuto;

  // Settings that are each valid but impossible together.
  if (s.reverseProxy.enableHttps && problems.length === 0) {
    if (!isPublicDomain(s.reverseProxy.baseDomain))
      problem(
        'reverse_proxy.base_domain',
        `Let's Encrypt cannot issue certificates for '${s.reverseProxy.baseDomain}'; use a public domain you control, or set enable_https to false`,
      );
    const email = s.reverseProxy.letsencryptEmail;
    if (email === null)
      problem('reverse_proxy.letsencrypt_email', "is required when enable_https is true (Let's Encrypt account)");
    else if (!isPublicDomain(email.slice(email.lastIndexOf('@') + 1)))
      problem(
        'reverse_proxy.letsencrypt_email',
        "Let's Encrypt refuses contact addresses at reserved or example domains",
      );
  }
  return { settings: s, problems };
}

/** Who the mail of the stack comes from, when the caller did not say. */
export function fromAddress(settings: StackSettings): string {
  return settings.email.fromAddress ?? `iiot@${settings.reverseProxy.baseDomain}`;
}

/** The address of the stack's administrator (NPM login, Keycloak admin user). */
export function adminEmail(settings: StackSettings): string {
  return settings.reverseProxy.letsencryptEmail ?? `admin@${settings.reverseProxy.baseDomain}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
