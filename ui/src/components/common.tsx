/** Small building blocks: status badges (icon + word, never colour alone), times, errors and empty states. */
import type { ReactNode } from 'react';
import type { Health, Sync } from '../api/types.js';
import { TONE_ICON, TONE_WORD, type Tone } from '../core/cell.js';
import { ago, shortSha } from '../core/format.js';
import { href } from '../core/route.js';
import { Link } from '../router.js';

export function ToneBadge({ tone, text }: { tone: Tone; text?: string }) {
  return (
    <span className={`badge tone-${tone}`}>
      <span aria-hidden="true">{TONE_ICON[tone]}</span> {text ?? TONE_WORD[tone]}
    </span>
  );
}

const HEALTH_TONE: Record<Health, Tone> = { Healthy: 'healthy', Progressing: 'progressing', Degraded: 'degraded', Missing: 'missing', Unknown: 'unknown' };

export function HealthBadge({ health }: { health: Health | null }) {
  return health === null ? <ToneBadge tone="unknown" text="No health yet" /> : <ToneBadge tone={HEALTH_TONE[health]} text={health} />;
}

const SYNC_TONE: Record<Sync, Tone> = { Synced: 'healthy', OutOfSync: 'pending', Failed: 'failed', Removed: 'removed', Unknown: 'unknown' };
const SYNC_WORD: Record<Sync, string> = { Synced: 'Synced', OutOfSync: 'Out of sync', Failed: 'Failed', Removed: 'Removed', Unknown: 'Unknown' };

export function SyncBadge({ sync }: { sync: Sync }) {
  return <ToneBadge tone={SYNC_TONE[sync]} text={SYNC_WORD[sync]} />;
}

export function When({ at }: { at: string | null }) {
  if (at === null) return <span className="muted">never</span>;
  return (
    <time dateTime={at} title={at}>
      {ago(at)}
    </time>
  );
}

export function CommitLink({ sha }: { sha: string | null }) {
  if (sha === null) return <span className="muted">—</span>;
  return (
    <Link href={href.commit(sha)} className="mono" title={sha}>
      {shortSha(sha)}
    </Link>
  );
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      <strong>Could not load this page.</strong> {error.message}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function PageTitle({ children, sub, isLive }: { children: ReactNode; sub?: ReactNode; isLive?: boolean }) {
  return (
    <div className="page-title">
      <div className="page-title-line">
        <h1 id="page-heading">{children}</h1>
        {isLive !== undefined && <LiveBadge isLive={isLive} />}
      </div>
      {sub !== undefined && <p className="muted">{sub}</p>}
    </div>
  );
}

/** Live-update status, announced politely to screen readers. */
export function LiveBadge({ isLive }: { isLive: boolean }) {
  return (
    <span className={`live ${isLive ? 'is-live' : ''}`} role="status" aria-live="polite">
      <span aria-hidden="true">{isLive ? '●' : '○'}</span> {isLive ? 'Live' : 'Reconnecting…'}
    </span>
  );
}
