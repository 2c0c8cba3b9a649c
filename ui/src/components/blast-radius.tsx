/**
 * A component's blast radius drawn as a graph: its apps on the left, the clusters they place it
 * on at the right (grouped by stage), an edge per placement. The same facts are listed as a
 * table for screen readers and for copying.
 */
import type { BlastRadius } from '../api/types.js';
import { TONE_WORD, toneFrom } from '../core/cell.js';
import { compareStages, NO_STAGE } from '../core/stages.js';
import { href } from '../core/route.js';
import { navigate } from '../router.js';

const ROW = 26;
const APP_X = 10;
const CLUSTER_X = 420;
const WIDTH = 640;
const NO_APP = '(no app)';

export function BlastRadiusGraph({ radius }: { radius: BlastRadius }) {
  const withApp = new Set(radius.apps.flatMap((a) => a.placements.map((p) => p.cluster)));
  const apps = [...radius.apps.map((a) => ({ app: a.app, clusters: a.placements.map((p) => p.cluster) }))];
  const orphans = radius.placements.filter((p) => !withApp.has(p.cluster)).map((p) => p.cluster);
  if (orphans.length > 0) apps.push({ app: NO_APP, clusters: orphans });
  const clusters = [...radius.placements].sort((a, b) => compareStages(a.stage ?? NO_STAGE, b.stage ?? NO_STAGE) || a.cluster.localeCompare(b.cluster));
  const clusterY = new Map(clusters.map((p, i) => [p.cluster, 20 + i * ROW]));
  const appGap = clusters.length > apps.length ? (clusters.length * ROW) / apps.length : ROW;
  const appY = new Map(apps.map((a, i) => [a.app, 20 + i * appGap + Math.max(0, appGap - ROW) / 2]));
  const height = 20 + Math.max(clusters.length * ROW, apps.length * appGap);

  return (
    <figure className="graph">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width={WIDTH} height={height} role="img" aria-label={`${radius.component} is used by ${radius.apps.length} apps on ${radius.clusterCount} clusters`}>
        {apps.flatMap((a) =>
          a.clusters.map((c) => (
            <line key={`${a.app}-${c}`} x1={APP_X + 170} y1={(appY.get(a.app) ?? 0) - 4} x2={CLUSTER_X - 8} y2={(clusterY.get(c) ?? 0) - 4} className="edge" />
          )),
        )}
        {apps.map((a) => (
          <g key={a.app} className="node app">
            <rect x={APP_X} y={(appY.get(a.app) ?? 0) - 17} width={170} height={22} rx={4} />
            <text x={APP_X + 8} y={(appY.get(a.app) ?? 0) - 2}>
              {a.app} ({a.clusters.length})
            </text>
          </g>
        ))}
        {clusters.map((p) => {
          const tone = toneFrom(p.sync, p.health, p.appliedVersion !== null);
          const y = clusterY.get(p.cluster) ?? 0;
          return (
            <g key={p.cluster} className={`node cluster tone-${tone}`} onClick={() => navigate(href.cluster(p.cluster))}>
              <rect x={CLUSTER_X} y={y - 17} width={210} height={22} rx={4} />
              <text x={CLUSTER_X + 8} y={y - 2}>
                {p.cluster} · {p.stage ?? NO_STAGE} · {p.appliedVersion ?? '—'}
              </text>
              <title>{`${p.cluster} (${p.stage ?? NO_STAGE}): applied ${p.appliedVersion ?? 'nothing'}, desired ${p.desiredVersion ?? 'nothing'}, ${TONE_WORD[tone]}`}</title>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">
        {radius.apps.length} apps · {radius.clusterCount} clusters · stages {[...radius.stages].sort(compareStages).join(', ') || '—'} · versions running {radius.versions.join(', ') || '—'}
      </figcaption>
    </figure>
  );
}
