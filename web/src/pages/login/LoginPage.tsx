import { type FormEvent, useState } from 'react';
import type { FieldlineApi } from '../../api/fieldline-api.js';
import type { TokenAnswer } from '../../api/types.js';
import { TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';

interface Props {
  api: FieldlineApi;
  notice: string | null;
  onLoggedIn: (answer: TokenAnswer) => void;
}

export function LoginPage({ api, notice, onLoggedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLoggedIn(await api.auth.login(username, password));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          <img src="/favicon.svg" alt="" width="32" height="32" /> Fieldline
        </h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ProblemMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="hint">
          First start? The administrator's password was printed by <code>npm start</code> and saved in{' '}
          <code>data/admin-password.txt</code>.
        </p>
      </form>
    </main>
  );
}
