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
import { PromotionPage } from './pages/promotion.js';
import { PromotionsPage } from './pages/promotions.js';
import { SignInPage } from './pages/sign-in.js';
import { Link, navigate, useRoute } from './router.js';
import { SessionContext, TOKEN_KEY, type Session } from './session.js';

type Auth = { state: 'signed-out'; message: string | undefined } | { state: 'signed-in'; token: string; who: WhoAmI | null };

function initialAuth(): Auth {
  const token = sessionStorage.getItem(TOKEN_KEY);
  // A stored token is used at once (the page's data loads while /v1/whoami answers); a refused one ends the session.
  return token === null ? { state: 'signed-out', message: undefined } : { state: 'signed-in', token, who: null };
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>(initialAuth);

  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setAuth({ state: 'signed-out', message: reason === undefined ? undefined : `You were signed out: ${reason}. Sign in again.` });
  }, []);

  // A stored token is checked once at start: it may have been revoked since.
  const pendingToken = auth.state === 'signed-in' && auth.who === null ? auth.token : undefined;
  useEffect(() => {
    if (pendingToken === undefined) return;
    createApiClient(pendingToken, () => undefined)
      .get<WhoAmI>('/v1/whoami')
      .then(
        (who) => setAuth((a) => (a.state === 'signed-in' && a.token === pendingToken ? { ...a, who } : a)),
        (err: unknown) => {
          if (err instanceof UnauthenticatedError) signOut(err.message);
        },
      );
  }, [pendingToken, signOut]);

  // A new client only for a new token: the role arriving must not restart every page's loads.
  const token = auth.state === 'signed-in' ? auth.token : undefined;
  const api = useMemo(() => (token === undefined ? null : createApiClient(token, signOut)), [token, signOut]);
  const who = auth.state === 'signed-in' ? auth.who : null;
  const session = useMemo<Session | null>(() => (api ? { api, who, signOut } : null), [api, who, signOut]);

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
            <li>
              <Link href={href.promotions()} aria-current={route.page === 'promotions' || route.page === 'promotion' ? 'page' : undefined}>
                Promotions
              </Link>
            </li>
          </ul>
        </nav>
        <div className="who">
          Signed in as <strong>{session.who?.name ?? '…'}</strong> {session.who && <span className={`role role-${session.who.role}`}>{session.who.role}</span>}
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
    case 'promotions':
      return <PromotionsPage />;
    case 'promotion':
      return <PromotionPage key={route.id} id={route.id} />;
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
