import { MASK } from '../notify/index.js';
import type { RuleAction } from './model.js';

/** The secret parts of one action: webhook auth and custom header values, an ntfy access token. */
interface ActionSecret {
  headers?: Record<string, string>;
  auth?: Record<string, unknown>;
  token?: string;
}

type SecretMap = Record<string, ActionSecret>;

/**
 * Splits actions into what may be stored and shown (secrets replaced by ***) and the secrets by action index,
 * which the caller seals. Header names and the auth type stay visible so users see what is configured.
 */
export function splitActionSecrets(actions: readonly RuleAction[]): { shown: RuleAction[]; secrets: SecretMap | null } {
  const secrets: SecretMap = {};
  const shown = actions.map((a, i) => {
    const secret: ActionSecret = {};
    const view: RuleAction = { ...a };
    if (a.type === 'webhook') {
      if (isRecord(a.headers) && Object.keys(a.headers).length > 0) {
        secret.headers = a.headers as Record<string, string>;
        view.headers = Object.fromEntries(Object.keys(a.headers).map((h) => [h, MASK]));
      }
      if (isRecord(a.auth)) {
        secret.auth = a.auth;
        view.auth =
          a.auth.type === 'api_key'
            ? { type: 'api_key', ...(a.auth.header ? { header: a.auth.header } : {}), key: MASK }
            : { type: a.auth.type, token: MASK };
      }
    }
    if (a.type === 'ntfy' && typeof a.token === 'string') {
      secret.token = a.token;
      view.token = MASK;
    }
    if (Object.keys(secret).length > 0) secrets[String(i)] = secret;
    return view;
  });
  return { shown, secrets: Object.keys(secrets).length > 0 ? secrets : null };
}

/** The stored (masked) actions with their secrets put back, for sending. */
export function joinActionSecrets(shown: readonly RuleAction[], secrets: SecretMap | null): RuleAction[] {
  return shown.map((a, i) => {
    const s = secrets?.[String(i)];
    if (!s) return a;
    return {
      ...a,
      ...(s.headers ? { headers: s.headers } : {}),
      ...(s.auth ? { auth: s.auth } : {}),
      ...(s.token ? { token: s.token } : {}),
    };
  });
}

/**
 * A client that read a rule sends its masked secrets back unchanged on update: a *** that stands where the
 * stored action (same index, same type) has a secret keeps the stored secret.
 */
export function keepMaskedSecrets(incoming: readonly RuleAction[], stored: readonly RuleAction[]): RuleAction[] {
  return incoming.map((a, i) => {
    const old = stored[i];
    if (!old || old.type !== a.type) return a;
    const next: RuleAction = { ...a };
    if (a.type === 'webhook' && isRecord(a.headers) && isRecord(old.headers)) {
      const oldHeaders = old.headers;
      next.headers = Object.fromEntries(
        Object.entries(a.headers).map(([h, v]) => [
          h,
          v === MASK && typeof oldHeaders[h] === 'string' ? oldHeaders[h] : v,
        ]),
      );
    }
    if (a.type === 'webhook' && isRecord(a.auth) && isRecord(old.auth) && a.auth.type === old.auth.type) {
      const auth = { ...a.auth };
      if (auth.token === MASK) auth.token = old.auth.token;
      if (auth.key === MASK) auth.key = old.auth.key;
      next.auth = auth;
    }
    if (a.type === 'ntfy' && a.token === MASK && typeof old.token === 'string') next.token = old.token;
    return next;
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
