import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiClient } from './api/client.js';
import { createApi } from './api/fieldline-api.js';
import { ApiError } from './api/problem.js';
import type { Me } from './api/types.js';
import { ProblemMessage } from './components/ProblemMessage.js';
import { LoginPage } from './pages/login/LoginPage.js';
import { SessionProvider } from './session/session.js';
import { clearSession, loadSession, type StoredSession, saveSession } from './session/session-store.js';
import { Shell } from './shell.js';

const EXPIRED = 'Your session has ended (it expired, or access was revoked). Log in again.';

/** Login or the logged-in UI; a 401 from the server, or the token's expiry, returns to the login. */
export function App() {
  const [auth, setAuth] = useState<StoredSession | null>(() => loadSession());
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const token = useRef<string | null>(auth?.token ?? null);

  const logout = useCallback((reason?: string) => {
    token.current = null;
    clearSession();
    setAuth(null);
    setMe(null);
    setMeError(null);
    setNotice(reason ?? null);
  }, []);

  const api = useMemo(
    () => createApi(new ApiClient({ token: () => token.current, onUnauthorized: () => logout(EXPIRED) })),
    [logout],
  );

  useEffect(() => {
    if (!auth) return;
    let current = true;
    api.auth.me().then(
      (m) => current && setMe(m),
      (err: unknown) => current && !(err instanceof ApiError && err.status === 401) && setMeError(err),
    );
    const timer = window.setTimeout(() => logout(EXPIRED), Math.max(0, auth.expiresAt - Date.now()));
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [auth, api, logout]);

  if (!auth) {
    return (
      <LoginPage
        api={api}
        notice={notice}
        onLoggedIn={(answer) => {
          const session = { token: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000 };
          token.current = session.token;
          saveSession(session);
          setNotice(null);
          setAuth(session);
        }}
      />
    );
  }
  if (!me) {
    return (
      <main className="loading">
        {meError ? (
          <>
            <ProblemMessage error={meError} />
            <button type="button" onClick={() => logout()}>
              Back to login
            </button>
          </>
        ) : (
          <p>Loading…</p>
        )}
      </main>
    );
  }
  return (
    <SessionProvider me={me} api={api} token={() => token.current} logout={logout}>
      <Shell />
    </SessionProvider>
  );
}
