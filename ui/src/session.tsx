/**
 * The signed-in session: the token (kept in sessionStorage, so it ends with the tab), the
 * caller's name and role from `/v1/whoami`, and an API client whose 401s end the session.
 */
import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client.js';
import type { Role, WhoAmI } from './api/types.js';

export const TOKEN_KEY = 'driftless.token';

export interface Session {
  api: ApiClient;
  /** Null while a stored token is being checked: pages load meanwhile, actions wait for it. */
  who: WhoAmI | null;
  signOut: (reason?: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether the caller may use an action that needs `needed` (the API checks again). */
export function isAllowed(who: WhoAmI | null, needed: Role): boolean {
  return who !== null && RANK[who.role] >= RANK[needed];
}
