/** Promotion pages follow the live stream: a burst of promotion_* and change_* rows reloads them once. */
import { useRef } from 'react';
import { isPromotionKind } from './core/promotion.js';
import { useTransitions } from './live.js';

/** Reloads after a burst of promotion_* and change_* rows, once; returns whether the stream is connected. */
export function useRefreshOnPromotionRows(reload: () => void): boolean {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  return useTransitions(
    {},
    (t) => {
      if (!isPromotionKind(t.kind)) return;
      timer.current ??= setTimeout(() => {
        timer.current = undefined;
        reload();
      }, 200);
    },
    reload,
  );
}
