/** The UI's pages as paths under /ui/ (history routing; the audit service answers every /ui/* path with the app). */
export const BASE = '/ui';

export type Route =
  | { page: 'fleet'; query: URLSearchParams }
  | { page: 'component'; name: string }
  | { page: 'cluster'; name: string }
  | { page: 'commit'; sha: string }
  | { page: 'ledger'; query: URLSearchParams }
  | { page: 'promotions' }
  | { page: 'promotion'; id: string }
  | { page: 'sign-in' }
  | { page: 'not-found'; path: string };

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function parseRoute(pathname: string, search = ''): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter((p) => p !== '').map(decode);
  const query = new URLSearchParams(search);
  const [first, second] = parts;
  if (parts.length === 0) return { page: 'fleet', query };
  if (first === 'sign-in' && parts.length === 1) return { page: 'sign-in' };
  if (first === 'ledger' && parts.length === 1) return { page: 'ledger', query };
  if (first === 'promotions' && parts.length === 1) return { page: 'promotions' };
  if (second !== undefined && parts.length === 2) {
    if (first === 'components') return { page: 'component', name: second };
    if (first === 'clusters') return { page: 'cluster', name: second };
    if (first === 'commits') return { page: 'commit', sha: second };
    if (first === 'promotions') return { page: 'promotion', id: second };
  }
  return { page: 'not-found', path: pathname };
}

export const href = {
  fleet: (query?: Record<string, string>) => withQuery(`${BASE}/`, query),
  component: (name: string) => `${BASE}/components/${encodeURIComponent(name)}`,
  cluster: (name: string) => `${BASE}/clusters/${encodeURIComponent(name)}`,
  commit: (sha: string) => `${BASE}/commits/${encodeURIComponent(sha)}`,
  ledger: (query?: Record<string, string>) => withQuery(`${BASE}/ledger`, query),
  promotions: () => `${BASE}/promotions`,
  promotion: (id: string) => `${BASE}/promotions/${encodeURIComponent(id)}`,
  signIn: () => `${BASE}/sign-in`,
};

function withQuery(path: string, query: Record<string, string> | undefined): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== '');
  return entries.length === 0 ? path : `${path}?${new URLSearchParams(entries).toString()}`;
}
