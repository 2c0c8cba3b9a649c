/** One commit's progress across every cluster it touched: pending (desired), applied, healthy, failed — updated live. */
import { useRef } from 'react';
import type { CommitProgress, CommitTarget } from '../api/types.js';
import { Empty, ErrorBox, HealthBadge, Loading, PageTitle, When } from '../components/common.js';
import { Timeline } from '../components/timeline.js';
import { shortSha } from '../core/format.js';
import { href } from '../core/route.js';
import { compareStages, NO_STAGE } from '../core/stages.js';
import { useTransitions } from '../live.js';
import { useLoad } from '../load.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';

const STATUS_TONE: Record<CommitTarget['status'], string> = { pending: 'pending', applied: 'healthy', failed: 'failed', superseded: 'unknown', removed: 'removed' };
const STATUS_ICON: Record<CommitTarget['status'], string> = { pending: '…', applied: '✓', failed: '✕', superseded: '⤼', removed: '–' };

export function CommitPage({ sha }: { sha: string }) {
  const { api } = useSession();
  const progress = useLoad((signal) => api.get<CommitProgress>(`/v1/commits/${encodeURIComponent(sha)}`, undefined, signal), [api, sha]);
  const refresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const targets = new Set(progress.data?.targets.map((t) => `${t.cluster}/${t.component}`));
  const isLive = useTransitions({}, (t) => {
    // Agent reports about a target may not name the commit (health changes): match on the pair too.
    const isAboutThisCommit = t.commitSha === progress.data?.sha || (t.cluster !== null && t.component !== null && targets.has(`${t.cluster}/${t.component}`));
    if (!isAboutThisCommit) return;
    refresh.current ??= setTimeout(() => {
      refresh.current = undefined;
      progress.reload();
    }, 200);
  });

  const data = progress.data;
  const total = data ? data.targets.length : 0;
  const healthy = data ? data.targets.filter((t) => t.status === 'applied' && t.health === 'Healthy').length : 0;
  const byStage = data ? [...new Set(data.targets.map((t) => t.stage ?? NO_STAGE))].sort(compareStages) : [];

  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub={data?.commit ? `${data.commit.message.split('\n')[0] ?? ''} — ${data.commit.authorName} <${data.commit.authorEmail}>` : undefined}>
        Commit <span className="mono" title={sha}>{shortSha(sha)}</span>
      </PageTitle>
      {progress.error && <ErrorBox error={progress.error} onRetry={progress.reload} />}
      {!data && !progress.error && <Loading what="the commit" />}
      {data && total === 0 && (
        <Empty>
          <p>No cluster was changed by this commit{data.transitions.length === 0 ? ', and the ledger has never seen it' : ''}.</p>
        </Empty>
      )}
      {data && total > 0 && (
        <>
          {data.commit && (
            <p className="muted">
              {data.commit.repo} · committed <When at={data.commit.committedAt} /> by {data.commit.committerName}
            </p>
          )}
          <div className="progress-summary" role="group" aria-label="Progress">
            <Count label="Desired (waiting)" value={data.counts.pending} tone="pending" />
            <Count label="Applied" value={data.counts.applied} tone="healthy" />
            <Count label="Healthy" value={healthy} tone="healthy" />
            <Count label="Failed" value={data.counts.failed} tone="failed" />
            <Count label="Superseded" value={data.counts.superseded} tone="unknown" />
          </div>
          <progress max={total} value={data.counts.applied} aria-label={`${data.counts.applied} of ${total} applied`} />
          <p className="muted" data-testid="progress-text">
            {data.counts.applied} of {total} applied, {healthy} healthy, {data.counts.failed} failed, {data.counts.pending} waiting
          </p>
          {byStage.map((stage) => (
            <div key={stage}>
              <h2>{stage}</h2>
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Cluster</th>
                    <th scope="col">Component</th>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">Health</th>
                    <th scope="col">Applied</th>
                  </tr>
                </thead>
                <tbody>
                  {data.targets
                    .filter((t) => (t.stage ?? NO_STAGE) === stage)
                    .map((t) => (
                      <tr key={`${t.cluster}/${t.component}`} data-status={t.status}>
                        <th scope="row">
                          <Link href={href.cluster(t.cluster)}>{t.cluster}</Link>
                        </th>
                        <td>
                          <Link href={href.component(t.component)}>{t.component}</Link>
                        </td>
                        <td className="mono">{t.version ?? '—'}</td>
                        <td>
                          <span className={`badge tone-${STATUS_TONE[t.status]}`} title={t.reason ?? undefined}>
                            <span aria-hidden="true">{STATUS_ICON[t.status]}</span> {t.status}
                          </span>
                          {t.reason !== null && <span className="muted"> {t.reason}</span>}
                        </td>
                        <td>
                          <HealthBadge health={t.health} />
                        </td>
                        <td>
                          <When at={t.appliedAt} />
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          ))}
        </>
      )}
      {data && data.transitions.length > 0 && (
        <>
          <h2>Ledger rows naming this commit</h2>
          <Timeline items={[...data.transitions].reverse()} caption="Ledger rows naming this commit, newest first" />
        </>
      )}
    </section>
  );
}

function Count({ label, value, tone }: { label: string; value: number; tone: string }) {
  return (
    <div className={`count tone-${tone}`}>
      <span className="count-value">{value}</span>
      <span className="count-label">{label}</span>
    </div>
  );
}
