/** Token sign-in: the token is checked with `/v1/whoami` and kept in sessionStorage (it ends with the tab). */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createApiClient, UnauthenticatedError } from '../api/client.js';
import type { WhoAmI } from '../api/types.js';

export function SignInPage({ message, onSignedIn }: { message: string | undefined; onSignedIn: (token: string, who: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [isChecking, setIsChecking] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (value === '') return setError('Enter an API token.');
    setIsChecking(true);
    setError(undefined);
    try {
      const who = await createApiClient(value, () => undefined).get<WhoAmI>('/v1/whoami');
      onSignedIn(value, who);
    } catch (err) {
      setError(err instanceof UnauthenticatedError ? `That token was refused: ${err.message}.` : `Could not reach the audit service: ${(err as Error).message}`);
      input.current?.focus();
    } finally {
      setIsChecking(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-heading" noValidate>
        <h1 id="sign-in-heading">
          <span aria-hidden="true" className="logo">
            ◆
          </span>{' '}
          Sign in to Driftless
        </h1>
        {message !== undefined && (
          <p className="notice" role="alert">
            {message}
          </p>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          ref={input}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby="token-help"
          aria-invalid={error !== undefined}
        />
        <p id="token-help" className="muted">
          A token from <code className="nowrap">driftless token create --name you --role viewer</code> (or operator, admin). It stays in this browser tab only and is sent to this audit service alone.
        </p>
        {error !== undefined && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={isChecking}>
          {isChecking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
