/** Home: the fleet matrix, components × clusters grouped by stage, filtered by app, stage, label and name, updated live. */
import { useMemo, useRef } from 'react';
import type { Transition } from '../api/types.js';
import { cellView, TONE_ICON, TONE_WORD, Tone } from '../core/cell.js';
import { mergeCells } from '../core/fleet-cell.js';
import { buildMatrix, type MatrixFilters } from '../core/matrix.js';
import { href } from '../core/route.js';
import { Empty, ErrorBox, Loading, PageTitle } from '../components/common.js';
import { MatrixGrid } from '../components/matrix-grid.js';
import { useTransitions } from '../live.js';
import { fetchMatrixCells, useFleet } from '../fleet-data.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';

/** Live changes touching the same cells within this window are fetched together. */
const REFRESH_DEBOUNCE_MS = 150;

export function FleetPage({ query }: { query: URLSearchParams }) {
  const { api } = useSession();
  const filters: MatrixFilters = { app: query.get('app') ?? '', stage: query.get('stage') ?? '', label: query.get('label') ?? '', component: query.get('q') ?? '' };
  const fleet = useFleet(api);

  // Cells touched by live transitions, refreshed together: one request per (component, stage).
  const pending = useRef(new Map<string, Record<string, string>>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const flush = () => {
    timer.current = undefined;
    const queries = [...pending.current.values()];
    pending.current.clear();
    void Promise.all(queries.map((q) => fetchMatrixCells(api, q))).then(
      (pages) => fleet.update((cells) => mergeCells(cells, pages.flat())),
      () => fleet.reload(),
    );
  };
  const isLive = useTransitions(
    {},
    (t: Transition) => {
      if (t.kind === 'cluster_registered' || t.kind === 'cluster_revoked') return fleet.reload();
      if (t.component === null) return;
      // Skew is per (stage, component): refreshing the whole stage's row keeps every flag right.
      const q = t.stage !== null ? { component: t.component, stage: t.stage } : t.cluster !== null ? { component: t.component, cluster: t.cluster } : null;
      if (q === null) return;
      pending.current.set(JSON.stringify(q), q);
      timer.current ??= setTimeout(flush, REFRESH_DEBOUNCE_MS);
    },
    () => fleet.reload(),
  );

  const matrix = useMemo(() => (fleet.data ? buildMatrix(fleet.data.cells, fleet.data.clusters, filters) : undefined), [fleet.data, filters.app, filters.stage, filters.label, filters.component]);

  const summary = useMemo(() => {
    if (!fleet.data) return undefined;
    const counts = { degraded: 0, failed: 0, drifted: 0, skewed: 0, outOfSync: 0 };
    for (const cell of fleet.data.cells) {
      const view = cellView(cell);
      if (view.tone === Tone.degraded) counts.degraded++;
      if (view.tone === Tone.failed) counts.failed++;
      if (view.isDrifted) counts.drifted++;
      if (view.isSkewed) counts.skewed++;
      if (view.desired !== null) counts.outOfSync++;
    }
    return counts;
  }, [fleet.data]);

  const setFilter = (key: 'app' | 'stage' | 'label' | 'q', value: string) => {
    const next = { app: filters.app, stage: filters.stage, label: filters.label, q: filters.component, [key]: value };
    navigate(href.fleet(next), { replace: true });
  };

  return (
    <section aria-labelledby="page-heading" className="fleet">
      <PageTitle isLive={isLive}
        sub={
          summary && matrix ? (
            <>
              {matrix.components.length} components × {matrix.clusters.length} clusters shown · {summary.degraded} degraded · {summary.failed} failed · {summary.drifted} drifted · {summary.skewed} with
              version skew · {summary.outOfSync} waiting for a new version
            </>
          ) : undefined
        }
      >
        Fleet
      </PageTitle>
      <div className="toolbar">
        <form className="filters" role="search" aria-label="Filter the fleet matrix" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="filter-app">App</label>
            <select id="filter-app" value={filters.app} onChange={(e) => setFilter('app', e.target.value)}>
              <option value="">All apps</option>
              {matrix?.options.apps.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="filter-stage">Stage</label>
            <select id="filter-stage" value={filters.stage} onChange={(e) => setFilter('stage', e.target.value)}>
              <option value="">All stages</option>
              {matrix?.options.stages.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="filter-label">Cluster label</label>
            <select id="filter-label" value={filters.label} onChange={(e) => setFilter('label', e.target.value)}>
              <option value="">Any label</option>
              {matrix?.options.labels.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="filter-component">Component</label>
            <input id="filter-component" type="search" value={filters.component} placeholder="name contains…" onChange={(e) => setFilter('q', e.target.value)} />
          </div>
        </form>
        {fleet.data && !fleet.data.hasApps && (
          <p className="muted loading-note" role="status">
            {fleet.data.appsError === undefined ? 'Loading the apps for the app filter…' : `The app filter is unavailable: ${fleet.data.appsError}`}
          </p>
        )}
      </div>
      <Legend />
      {fleet.error && <ErrorBox error={fleet.error} onRetry={fleet.reload} />}
      {!fleet.data && !fleet.error && <Loading what="the fleet" />}
      {matrix && fleet.data && fleet.data.cells.length === 0 && (
        <Empty>
          <p>
            <strong>No component has been deployed anywhere yet.</strong>
          </p>
          <p>The matrix fills in as the repo-watcher publishes desired state and agents report back. Push a commit to the environment repository, or check the ledger for render failures.</p>
        </Empty>
      )}
      {filters.app !== '' && fleet.data && !fleet.data.hasApps && fleet.data.appsError === undefined && <Loading what={`the placements of ${filters.app}`} />}
      {matrix && fleet.data && fleet.data.cells.length > 0 && matrix.components.length === 0 && (filters.app === '' || fleet.data.hasApps) && (
        <Empty>
          <p>Nothing matches these filters.</p>
          <button type="button" onClick={() => navigate(href.fleet(), { replace: true })}>
            Clear the filters
          </button>
        </Empty>
      )}
      {matrix && matrix.components.length > 0 && <MatrixGrid matrix={matrix} label="Fleet matrix: components by cluster, grouped by stage" />}
      <p className="hint muted">Use the arrow keys to move between cells, Enter to open a cell&apos;s history or a component.</p>
    </section>
  );
}

function Legend() {
  const tones: Tone[] = [Tone.healthy, Tone.progressing, Tone.pending, Tone.degraded, Tone.failed, Tone.missing, Tone.unknown, Tone.removed];
  return (
    <ul className="legend" aria-label="Legend">
      {tones.map((t) => (
        <li key={t} className={`badge tone-${t}`}>
          <span aria-hidden="true">{TONE_ICON[t]}</span> {TONE_WORD[t]}
        </li>
      ))}
      <li className="badge legend-flag">
        <span aria-hidden="true">⚠</span> Drifted
      </li>
      <li className="badge legend-flag">
        <span aria-hidden="true">≠</span> Versions differ within the stage
      </li>
      <li className="badge legend-flag">
        <span aria-hidden="true">→</span> Desired version not applied yet
      </li>
    </ul>
  );
}
