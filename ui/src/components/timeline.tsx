/** The who-what-when list of ledger rows: when, what happened, where, from → to, who, from which commit. */
import type { Transition } from '../api/types.js';
import { kindWords } from '../core/format.js';
import { href } from '../core/route.js';
import { Link } from '../router.js';
import { CommitLink, When } from './common.js';

const KIND_TONE: Partial<Record<Transition['kind'], string>> = {
  applied: 'healthy',
  apply_failed: 'failed',
  render_failed: 'failed',
  drift_detected: 'degraded',
  drift_corrected: 'progressing',
  desired_changed: 'pending',
  desired_removed: 'removed',
  cluster_revoked: 'removed',
};

function change(t: Transition): string {
  if (t.fromVersion !== null && t.toVersion !== null && t.fromVersion !== t.toVersion) return `${t.fromVersion} → ${t.toVersion}`;
  if (t.toVersion !== null) return t.toVersion;
  if (t.fromVersion !== null) return `${t.fromVersion} → —`;
  return '';
}

function healthOf(t: Transition): string | undefined {
  const to = (t.detail as Record<string, unknown>)['to'];
  return t.kind === 'health_changed' && typeof to === 'string' ? to : undefined;
}

export function Timeline({ items, caption, showComponent = true, showCluster = true }: { items: readonly Transition[]; caption: string; showComponent?: boolean; showCluster?: boolean }) {
  return (
    <table className="timeline">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          {showComponent && <th scope="col">Component</th>}
          {showCluster && <th scope="col">Cluster</th>}
          <th scope="col">Version</th>
          <th scope="col">Who</th>
          <th scope="col">Commit</th>
        </tr>
      </thead>
      <tbody>
        {items.map((t) => (
          <tr key={t.seq} data-seq={t.seq}>
            <td>
              <When at={t.occurredAt} />
            </td>
            <td>
              <span className={`kind tone-${KIND_TONE[t.kind] ?? 'unknown'}`}>{kindWords(t.kind)}</span>
              {healthOf(t) !== undefined && <span className="muted"> → {healthOf(t)}</span>}
            </td>
            {showComponent && <td>{t.component === null ? <span className="muted">—</span> : <Link href={href.component(t.component)}>{t.component}</Link>}</td>}
            {showCluster && <td>{t.cluster === null ? <span className="muted">—</span> : <Link href={href.cluster(t.cluster)}>{t.cluster}</Link>}</td>}
            <td className="mono">{change(t)}</td>
            <td className="actor">{t.actor ?? <span className="muted">—</span>}</td>
            <td>
              <CommitLink sha={t.commitSha} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
