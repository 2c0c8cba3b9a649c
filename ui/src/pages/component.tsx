/** One component: its versions per stage, its blast radius as a graph, and its history as a timeline. */
import { useRef, useState } from 'react';
import type { PromotionKind } from '../api/promotion-types.js';
import type { BlastRadius, Page, Transition } from '../api/types.js';
import { BlastRadiusGraph } from '../components/blast-radius.js';
import { PromoteDialog } from '../components/promote-dialog.js';
import { Empty, ErrorBox, HealthBadge, Loading, PageTitle, SyncBadge } from '../components/common.js';
import { Timeline } from '../components/timeline.js';
import { href } from '../core/route.js';
import { compareStages, NO_STAGE } from '../core/stages.js';
import { useTransitions } from '../live.js';
import { useLoad } from '../load.js';
import { Link } from '../router.js';
import { isAllowed, useSession } from '../session.js';

const HISTORY_PAGE = 50;

interface StageVersions {
  stage: string;
  clusters: number;
  desired: string[];
  applied: string[];
}

function versionsPerStage(radius: BlastRadius): StageVersions[] {
  const byStage = new Map<string, { clusters: number; desired: Set<string>; applied: Set<string> }>();
  for (const p of radius.placements) {
    const stage = p.stage ?? NO_STAGE;
    const entry = byStage.get(stage) ?? { clusters: 0, desired: new Set<string>(), applied: new Set<string>() };
    entry.clusters++;
    if (p.desiredVersion !== null) entry.desired.add(p.desiredVersion);
    if (p.appliedVersion !== null) entry.applied.add(p.appliedVersion);
    byStage.set(stage, entry);
  }
  return [...byStage.entries()]
    .sort(([a], [b]) => compareStages(a, b))
    .map(([stage, e]) => ({ stage, clusters: e.clusters, desired: [...e.desired].sort(), applied: [...e.applied].sort() }));
}

const stagesOf = (radius: BlastRadius): string[] => versionsPerStage(radius).map((s) => s.stage).filter((s) => s !== NO_STAGE);

/** A promotion usually moves a version one stage on: the second stage the component runs on. */
const defaultTarget = (stages: readonly string[]): string => stages[1] ?? stages[0] ?? '';

export function ComponentPage({ name }: { name: string }) {
  const { api, who } = useSession();
  const mayPromote = isAllowed(who, 'operator');
  const [promoting, setPromoting] = useState<{ kind: PromotionKind; stage: string } | undefined>(undefined);
  const radius = useLoad((signal) => api.get<BlastRadius>(`/v1/components/${encodeURIComponent(name)}/blast-radius`, undefined, signal), [api, name]);
  const history = useLoad((signal) => api.get<Page<Transition>>('/v1/transitions', { component: name, limit: HISTORY_PAGE }, signal), [api, name]);
  const stages = radius.data ? stagesOf(radius.data) : [];
  const refresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const isLive = useTransitions(
    { component: name },
    (t) => {
      history.update((page) => ({ ...page, items: [t, ...page.items.filter((i) => i.seq !== t.seq)] }));
      refresh.current ??= setTimeout(() => {
        refresh.current = undefined;
        radius.reload();
      }, 300);
    },
    () => (radius.reload(), history.reload()),
  );

  const loadOlder = async () => {
    const cursor = history.data?.nextCursor;
    if (cursor === null || cursor === undefined) return;
    const older = await api.get<Page<Transition>>('/v1/transitions', { component: name, limit: HISTORY_PAGE, cursor });
    history.update((page) => ({ items: [...page.items, ...older.items], nextCursor: older.nextCursor }));
  };

  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub={radius.data ? `${radius.data.clusterCount} clusters · ${radius.data.apps.length} apps` : undefined}>
        Component <span className="mono">{name}</span>
      </PageTitle>
      {radius.error && <ErrorBox error={radius.error} onRetry={radius.reload} />}
      {!radius.data && !radius.error && <Loading what="the component" />}
      {radius.data && radius.data.placements.length === 0 && (
        <Empty>
          <p>
            <strong>{name}</strong> is not placed on any cluster. It may have been removed, or no commit has named it yet.
          </p>
        </Empty>
      )}
      {radius.data && radius.data.placements.length > 0 && (
        <>
          <h2>Versions per stage</h2>
          {mayPromote && (
            <div className="actions" role="group" aria-label="Promotion actions">
              <button type="button" onClick={() => setPromoting({ kind: 'promote', stage: defaultTarget(stages) })}>
                Promote…
              </button>
            </div>
          )}
          <table className="data">
            <caption className="visually-hidden">Desired and applied versions of {name} per stage</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Clusters</th>
                <th scope="col">Desired</th>
                <th scope="col">Applied</th>
                {mayPromote && <th scope="col">Action</th>}
              </tr>
            </thead>
            <tbody>
              {versionsPerStage(radius.data).map((s) => (
                <tr key={s.stage}>
                  <th scope="row">{s.stage}</th>
                  <td>{s.clusters}</td>
                  <td className="mono">{s.desired.join(', ') || '—'}</td>
                  <td className="mono">
                    {s.applied.join(', ') || '—'}
                    {s.applied.length > 1 && (
                      <span className="badge legend-flag" title="versions differ within the stage">
                        <span aria-hidden="true">≠</span> skew
                      </span>
                    )}
                  </td>
                  {mayPromote && (
                    <td>
                      {s.stage !== NO_STAGE && (
                        <button type="button" className="quiet" aria-label={`Roll back ${name} on ${s.stage}…`} onClick={() => setPromoting({ kind: 'rollback', stage: s.stage })}>
                          Roll back…
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {promoting && <PromoteDialog component={name} kind={promoting.kind} stages={stages} initialStage={promoting.stage} onClose={() => setPromoting(undefined)} />}

          <h2>Blast radius</h2>
          <BlastRadiusGraph radius={radius.data} />
          <details>
            <summary>Blast radius as a table</summary>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Apps</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Applied</th>
                  <th scope="col">Health</th>
                  <th scope="col">Sync</th>
                </tr>
              </thead>
              <tbody>
                {radius.data.placements.map((p) => (
                  <tr key={p.cluster}>
                    <th scope="row">
                      <Link href={href.cluster(p.cluster)}>{p.cluster}</Link>
                    </th>
                    <td>{p.stage ?? NO_STAGE}</td>
                    <td>{radius.data?.apps.filter((a) => a.placements.some((x) => x.cluster === p.cluster)).map((a) => a.app).join(', ') || '—'}</td>
                    <td className="mono">{p.desiredVersion ?? '—'}</td>
                    <td className="mono">{p.appliedVersion ?? '—'}</td>
                    <td>
                      <HealthBadge health={p.health} />
                    </td>
                    <td>
                      <SyncBadge sync={p.sync} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}

      <h2>History</h2>
      {history.error && <ErrorBox error={history.error} onRetry={history.reload} />}
      {history.data && history.data.items.length === 0 && <Empty>No ledger row names {name} yet.</Empty>}
      {history.data && history.data.items.length > 0 && (
        <>
          <Timeline items={history.data.items} caption={`History of ${name}, newest first`} showComponent={false} />
          {history.data.nextCursor !== null && (
            <button type="button" onClick={() => void loadOlder()}>
              Load older
            </button>
          )}
          <p>
            <Link href={href.ledger({ component: name })}>Open in the ledger with filters</Link>
          </p>
        </>
      )}
    </section>
  );
}
