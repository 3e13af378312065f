import { useState } from 'preact/hooks';
import { Session } from '../session';
import { Field, useTask } from '../ui';

/** Email and password through the GraphQL `login` mutation; `notice` says why a session ended. */
export function SignIn({
  onSignedIn,
  onEnd,
  notice,
}: {
  onSignedIn: (s: Session) => void;
  onEnd: (reason?: string) => void;
  notice?: string;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [load, signIn] = useTask(async () => {
    const session = await Session.signIn(email.trim(), password, onEnd);
    setPassword('');
    onSignedIn(session);
  });
  return (
    <main id="main" class="signin">
      <h1>Sign in to the Safeshare console</h1>
      {notice && (
        <p class="status" role="status">
          {notice}
        </p>
      )}
      <form
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn();
        }}
      >
        <Field label="Email">
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field label="Password">
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit" disabled={load.state === 'loading'}>
          {load.state === 'loading' ? 'Signing in…' : 'Sign in'}
        </button>
        {load.state === 'error' && (
          <p class="error" role="alert">
            {load.message}
          </p>
        )}
      </form>
      <p>
        <small>Your session is kept in this tab's memory only: reloading the page signs you out.</small>
      </p>
    </main>
  );
}
