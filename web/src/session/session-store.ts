/** The access token of this tab: in memory, and in sessionStorage so a reload keeps the user logged in. */
const KEY = 'fieldline.session';

export interface StoredSession {
  token: string;
  /** Epoch ms at which the server stops accepting the token. */
  expiresAt: number;
}

export function loadSession(now: number = Date.now()): StoredSession | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof s.token !== 'string' || typeof s.expiresAt !== 'number' || s.expiresAt <= now) {
      window.sessionStorage.removeItem(KEY);
      return null;
    }
    return { token: s.token, expiresAt: s.expiresAt };
  } catch {
    return null;
  }
}

export function saveSession(s: StoredSession): void {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // Storage may be off (private mode): the session then lives in memory only, until a reload.
  }
}

export function clearSession(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
