/** The app shell: sign-in gate, header with navigation and the caller's role, and the page for the current route. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { createApiClient, UnauthenticatedError } from './api/client.js';
import type { WhoAmI } from './api/types.js';
import { href, type Route } from './core/route.js';
import { ClusterPage } from './pages/cluster.js';
import { CommitPage } from './pages/commit.js';
import { ComponentPage } from './pages/component.js';
import { FleetPage } from './pages/fleet.js';
import { LedgerPage } from './pages/ledger.js';
import { SignInPage } from './pages/sign-in.js';
import { Link, navigate, useRoute } from './router.js';
import { SessionContext, TOKEN_KEY, type Session } from './session.js';

type Auth = { state: 'checking'; token: string } | { state: 'signed-out'; message: string | undefined } | { state: 'signed-in'; token: string; who: WhoAmI };

function initialAuth(): Auth {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? { state: 'signed-out', message: undefined } : { state: 'checking', token };
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>(initialAuth);

  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setAuth({ state: 'signed-out', message: reason === undefined ? undefined : `You were signed out: ${reason}. Sign in again.` });
  }, []);

  // A stored token is checked once at start: it may have been revoked since.
  useEffect(() => {
    if (auth.state !== 'checking') return;
    const { token } = auth;
    createApiClient(token, () => undefined)
      .get<WhoAmI>('/v1/whoami')
      .then(
        (who) => setAuth({ state: 'signed-in', token, who }),
        (err: unknown) => (err instanceof UnauthenticatedError ? signOut(err.message) : setAuth({ state: 'signed-in', token, who: { name: 'unknown', role: 'viewer' } })),
      );
  }, [auth, signOut]);

  const session = useMemo<Session | null>(
    () => (auth.state === 'signed-in' ? { api: createApiClient(auth.token, signOut), who: auth.who, signOut } : null),
    [auth, signOut],
  );

  if (auth.state === 'checking') return <p role="status">Checking your token…</p>;
  if (!session) {
    return (
      <SignInPage
        message={auth.state === 'signed-out' ? auth.message : undefined}
        onSignedIn={(token, who) => {
          sessionStorage.setItem(TOKEN_KEY, token);
          setAuth({ state: 'signed-in', token, who });
          if (route.page === 'sign-in') navigate(href.fleet(), { replace: true });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href={href.fleet()} className="brand">
          <span aria-hidden="true">◆</span> Driftless
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href={href.fleet()} aria-current={route.page === 'fleet' ? 'page' : undefined}>
                Fleet
              </Link>
            </li>
            <li>
              <Link href={href.ledger()} aria-current={route.page === 'ledger' ? 'page' : undefined}>
                Ledger
              </Link>
            </li>
          </ul>
        </nav>
        <div className="who">
          Signed in as <strong>{session.who.name}</strong> <span className={`role role-${session.who.role}`}>{session.who.role}</span>
          <button type="button" className="quiet" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'fleet':
    case 'sign-in':
      return <FleetPage query={route.page === 'fleet' ? route.query : new URLSearchParams()} />;
    case 'component':
      return <ComponentPage key={route.name} name={route.name} />;
    case 'cluster':
      return <ClusterPage key={route.name} name={route.name} />;
    case 'commit':
      return <CommitPage key={route.sha} sha={route.sha} />;
    case 'ledger':
      return <LedgerPage query={route.query} />;
    case 'not-found':
      return (
        <section>
          <h1 id="page-heading">Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link href={href.fleet()}>Go to the fleet.</Link>
          </p>
        </section>
      );
  }
}
