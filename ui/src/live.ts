/** Follow the live stream while a page is shown; returns whether it is connected. */
import { useEffect, useRef, useState } from 'react';
import { followTransitions, type StreamFilters } from './api/stream.js';
import type { Transition } from './api/types.js';
import { useSession } from './session.js';

export function useTransitions(filters: StreamFilters, onTransition: (t: Transition) => void, onReset?: () => void): boolean {
  const { api, signOut } = useSession();
  const [isLive, setIsLive] = useState(false);
  const handlers = useRef({ onTransition, onReset });
  handlers.current = { onTransition, onReset };
  const { cluster, component, commit } = filters;
  useEffect(() => {
    const stop = followTransitions(
      api,
      { ...(cluster === undefined ? {} : { cluster }), ...(component === undefined ? {} : { component }), ...(commit === undefined ? {} : { commit }) },
      {
        transition: (t) => handlers.current.onTransition(t),
        reset: () => handlers.current.onReset?.(),
        status: setIsLive,
        unauthenticated: (reason) => signOut(reason),
      },
    );
    return stop;
  }, [api, signOut, cluster, component, commit]);
  return isLive;
}
