// Sign in, or create an account; either way the session starts here.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { useMutation } from 'urql';
import { useApi } from '../api/context';
import { explainError } from '../api/errors';
import { ErrorMessage } from '../components/ErrorMessage';
import { SignInDocument, SignUpDocument } from '../generated/graphql';

export function SignInPage({ mode }: { mode: 'signin' | 'register' }) {
  const { session } = useApi();
  const [, navigate] = useLocation();
  const search = useSearch();
  const next = safeNext(new URLSearchParams(search).get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [signIn, runSignIn] = useMutation(SignInDocument);
  const [signUp, runSignUp] = useMutation(SignUpDocument);
  const emailId = useId();
  const passwordId = useId();
  const passwordHint = useId();
  const registering = mode === 'register';
  const result = registering ? signUp : signIn;
  const ended = session.lastEnd === 'expired';

  useEffect(() => {
    document.title = `${registering ? 'Create an account' : 'Sign in'} · Order service`;
  }, [registering]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = { email: email.trim(), password };
    if (registering) {
      const { data } = await runSignUp({ input });
      if (data) session.signIn(data.register);
    } else {
      const { data } = await runSignIn({ input });
      if (data) session.signIn(data.login);
    }
    if (session.current()) navigate(next);
  };

  return (
    <section className="panel narrow">
      <h1 tabIndex={-1}>{registering ? 'Create an account' : 'Sign in'}</h1>
      {ended && !registering ? <p className="notice">Your session has ended. Please sign in again.</p> : null}
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input
            id={emailId}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={passwordId}>Password</label>
          <input
            id={passwordId}
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={registering ? 8 : undefined}
            aria-describedby={registering ? passwordHint : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {registering ? (
            <p className="hint" id={passwordHint}>
              At least 8 characters.
            </p>
          ) : null}
        </div>
        {result.error ? (
          <ErrorMessage code={explainError(result.error).code}>{explainError(result.error).message}</ErrorMessage>
        ) : null}
        <button type="submit" className="primary" disabled={result.fetching}>
          {registering ? 'Create account' : 'Sign in'}
        </button>
      </form>
      <p>
        {registering ? (
          <>
            Already have an account? <Link href={`/signin?next=${encodeURIComponent(next)}`}>Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link href={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
          </>
        )}
      </p>
    </section>
  );
}

/** Only paths of this app: never an open redirect to another site. */
function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}
