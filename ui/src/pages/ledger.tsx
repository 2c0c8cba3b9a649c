/** The ledger: who did what, where, when, with the API's filters, live, and the hash chain's verification status. */
import { TRANSITION_KINDS } from '@driftless/audit/kinds';
import { useState, type FormEvent } from 'react';
import type { Page, Transition, TransitionKind, Verification } from '../api/types.js';
import { Empty, ErrorBox, Loading, PageTitle } from '../components/common.js';
import { Timeline } from '../components/timeline.js';
import { kindWords } from '../core/format.js';
import { href } from '../core/route.js';
import { useTransitions } from '../live.js';
import { useLoad } from '../load.js';
import { navigate } from '../router.js';
import { isAllowed, useSession } from '../session.js';

const PAGE_SIZE = 100;
const TEXT_FILTERS = ['cluster', 'component', 'app', 'stage', 'actor'] as const;
/** The ledger's kinds, from the audit service itself (a small pure module, bundled). */
const KINDS: readonly TransitionKind[] = TRANSITION_KINDS;

type Filters = Record<(typeof TEXT_FILTERS)[number] | 'kind' | 'since' | 'until', string>;

const filtersOf = (query: URLSearchParams): Filters => ({
  cluster: query.get('cluster') ?? '',
  component: query.get('component') ?? '',
  app: query.get('app') ?? '',
  stage: query.get('stage') ?? '',
  actor: query.get('actor') ?? '',
  kind: query.get('kind') ?? '',
  since: query.get('since') ?? '',
  until: query.get('until') ?? '',
});

/** A live row belongs on this page when it passes every filter the page can check itself. */
function isShown(t: Transition, f: Filters): boolean {
  return (
    (f.stage === '' || t.stage === f.stage) &&
    (f.actor === '' || t.actor === f.actor) &&
    (f.kind === '' || t.kind === f.kind) &&
    (f.until === '' || t.occurredAt < new Date(f.until).toISOString()) &&
    // The app filter is the app's placements now: only the server knows them.
    f.app === ''
  );
}

const toIso = (local: string): string => (local === '' ? '' : new Date(local).toISOString());

export function LedgerPage({ query }: { query: URLSearchParams }) {
  const { api, who } = useSession();
  const filters = filtersOf(query);
  const key = JSON.stringify(filters);
  const apiQuery = {
    cluster: filters.cluster,
    component: filters.component,
    app: filters.app,
    stage: filters.stage,
    actor: filters.actor,
    kind: filters.kind,
    since: toIso(filters.since),
    until: toIso(filters.until),
    limit: PAGE_SIZE,
  };
  const rows = useLoad((signal) => api.get<Page<Transition>>('/v1/transitions', apiQuery, signal), [api, key]);
  const isLive = useTransitions(
    { ...(filters.cluster === '' ? {} : { cluster: filters.cluster }), ...(filters.component === '' ? {} : { component: filters.component }) },
    (t) => {
      if (isShown(t, filters)) rows.update((page) => ({ ...page, items: [t, ...page.items.filter((i) => i.seq !== t.seq)] }));
    },
    rows.reload,
  );

  const loadOlder = async () => {
    const cursor = rows.data?.nextCursor;
    if (cursor === null || cursor === undefined) return;
    const older = await api.get<Page<Transition>>('/v1/transitions', { ...apiQuery, cursor });
    rows.update((page) => ({ items: [...page.items, ...older.items], nextCursor: older.nextCursor }));
  };

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const [k, v] of form.entries()) if (typeof v === 'string' && v.trim() !== '') next[k] = v.trim();
    navigate(href.ledger(next));
  };

  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub="Every recorded step, newest first. The ledger is append-only and hash-chained.">Ledger</PageTitle>
      <div className="toolbar">
        <ChainStatus canVerify={isAllowed(who, 'operator')} />
      </div>
      <form key={key} className="filters" role="search" aria-label="Filter the ledger" onSubmit={apply}>
        {TEXT_FILTERS.map((name) => (
          <div className="field" key={name}>
            <label htmlFor={`ledger-${name}`}>{`${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`}</label>
            <input id={`ledger-${name}`} name={name} defaultValue={filters[name]} placeholder={name === 'actor' ? 'email or field manager' : 'any'} />
          </div>
        ))}
        <div className="field">
          <label htmlFor="ledger-kind">Kind</label>
          <select id="ledger-kind" name="kind" defaultValue={filters.kind}>
            <option value="">Any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {kindWords(k)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ledger-since">Since</label>
          <input id="ledger-since" name="since" type="datetime-local" defaultValue={filters.since} />
        </div>
        <div className="field">
          <label htmlFor="ledger-until">Until</label>
          <input id="ledger-until" name="until" type="datetime-local" defaultValue={filters.until} />
        </div>
        <div className="filter-buttons">
          <button type="submit">Apply filters</button>
          <button type="button" className="quiet" onClick={() => navigate(href.ledger())}>
            Clear
          </button>
        </div>
      </form>
      {rows.error && <ErrorBox error={rows.error} onRetry={rows.reload} />}
      {!rows.data && !rows.error && <Loading what="the ledger" />}
      {rows.data && rows.data.items.length === 0 && <Empty>No ledger row matches these filters.</Empty>}
      {rows.data && rows.data.items.length > 0 && (
        <>
          <Timeline items={rows.data.items} caption="Ledger rows, newest first" />
          {rows.data.nextCursor !== null && (
            <button type="button" onClick={() => void loadOlder()}>
              Load older
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** Chain verification: operators can run it; viewers are told who can. */
function ChainStatus({ canVerify }: { canVerify: boolean }) {
  const { api } = useSession();
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'running' } | { kind: 'done'; result: Verification } | { kind: 'error'; message: string }>({ kind: 'idle' });
  const verify = async () => {
    setState({ kind: 'running' });
    try {
      setState({ kind: 'done', result: await api.get<Verification>('/v1/audit/verify') });
    } catch (err) {
      setState({ kind: 'error', message: (err as Error).message });
    }
  };
  return (
    <div className="chain" role="status" aria-live="polite">
      <strong>Hash chain:</strong>{' '}
      {state.kind === 'idle' && (canVerify ? <span className="muted">not checked in this session</span> : <span className="muted">verification needs the operator role</span>)}
      {state.kind === 'running' && <span>verifying…</span>}
      {state.kind === 'error' && <span className="error-text">{state.message}</span>}
      {state.kind === 'done' &&
        (state.result.isIntact ? (
          <span className="badge tone-healthy">
            <span aria-hidden="true">✓</span> intact — {state.result.checkedRows} rows, tip {state.result.tipHash?.slice(0, 12) ?? '—'}
          </span>
        ) : (
          <span className="badge tone-failed">
            <span aria-hidden="true">✕</span> broken at row {state.result.firstBreak?.seq}: {state.result.firstBreak?.message}
          </span>
        ))}
      {canVerify && (
        <button type="button" onClick={() => void verify()} disabled={state.kind === 'running'}>
          Verify chain now
        </button>
      )}
    </div>
  );
}
