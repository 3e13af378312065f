import { useState } from 'preact/hooks';
import { type SecondFactorStep, Session } from '../session';
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
  const [step, setStep] = useState<SecondFactorStep | null>(null);
  const [load, signIn] = useTask(async () => {
    const result = await Session.signIn(email.trim(), password, onEnd);
    setPassword('');
    if (result instanceof Session) onSignedIn(result);
    else setStep(result);
  });
  if (step) return <SecondFactor step={step} onSignedIn={onSignedIn} onEnd={onEnd} onRestart={() => setStep(null)} />;
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

/** The second step for an account with a TOTP second factor: the app's six digits, or a recovery code. */
function SecondFactor({
  step,
  onSignedIn,
  onEnd,
  onRestart,
}: {
  step: SecondFactorStep;
  onSignedIn: (s: Session) => void;
  onEnd: (reason?: string) => void;
  onRestart: () => void;
}) {
  const [code, setCode] = useState('');
  const [load, complete] = useTask(async () => {
    const session = await Session.completeSecondFactor(step, code, onEnd);
    setCode('');
    onSignedIn(session);
  });
  return (
    <main id="main" class="signin">
      <h1>Sign in to the Safeshare console</h1>
      <form
        aria-label="Second factor"
        onSubmit={(e) => {
          e.preventDefault();
          void complete();
        }}
      >
        <Field label="Code from your authenticator app, or a recovery code">
          <input
            type="text"
            name="code"
            autocomplete="one-time-code"
            required
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit" disabled={load.state === 'loading'}>
          {load.state === 'loading' ? 'Checking…' : 'Continue'}
        </button>
        {load.state === 'error' && (
          <p class="error" role="alert">
            {load.message}
          </p>
        )}
      </form>
      <p>
        <button type="button" onClick={onRestart}>
          Start again
        </button>
        <small> The sign-in step lasts five minutes.</small>
      </p>
    </main>
  );
}
