/** One cluster: every component on it with health, drift and last change; the agent's heartbeat and version; admin actions. */
import { useState } from 'react';
import { getAll } from '../api/client.js';
import type { Cluster, InventoryItem } from '../api/types.js';
import { ErrorBox, Empty, HealthBadge, Loading, PageTitle, SyncBadge, When } from '../components/common.js';
import { CommitLink } from '../components/common.js';
import { href } from '../core/route.js';
import { useTransitions } from '../live.js';
import { useLoad } from '../load.js';
import { Link } from '../router.js';
import { isAllowed, useSession } from '../session.js';

const lastChange = (item: InventoryItem): string | null =>
  [item.desired?.changedAt, item.applied?.changedAt, item.health?.changedAt, item.drift?.changedAt, item.problem?.changedAt].filter((t): t is string => typeof t === 'string').sort().at(-1) ?? null;

export function ClusterPage({ name }: { name: string }) {
  const { api, who } = useSession();
  const cluster = useLoad((signal) => api.get<Cluster>(`/v1/clusters/${encodeURIComponent(name)}`, undefined, signal), [api, name]);
  const items = useLoad((signal) => getAll<InventoryItem>(api, '/v1/inventory', { cluster: name, limit: 50_000 }, signal), [api, name]);
  const isLive = useTransitions({ cluster: name }, () => (cluster.reload(), items.reload()));

  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub={cluster.data ? `stage ${cluster.data.stage ?? '—'}` : undefined}>
        Cluster <span className="mono">{name}</span>
      </PageTitle>
      {cluster.error && <ErrorBox error={cluster.error} onRetry={cluster.reload} />}
      {!cluster.data && !cluster.error && <Loading what="the cluster" />}
      {cluster.data && (
        <dl className="facts">
          <div>
            <dt>Stage</dt>
            <dd>{cluster.data.stage ?? '—'}</dd>
          </div>
          <div>
            <dt>Labels</dt>
            <dd>
              {Object.entries(cluster.data.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ') || '—'}
            </dd>
          </div>
          <div>
            <dt>Agent heartbeat</dt>
            <dd>
              <When at={cluster.data.lastHeartbeatAt} />
            </dd>
          </div>
          <div>
            <dt>Agent version</dt>
            <dd className="mono">{cluster.data.agentVersion ?? '—'}</dd>
          </div>
          <div>
            <dt>Registered</dt>
            <dd>
              <When at={cluster.data.registeredAt} />
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{cluster.data.revokedAt === null ? 'active' : <strong>revoked</strong>}</dd>
          </div>
          <div>
            <dt>Components</dt>
            <dd>
              {cluster.data.componentCount} · {cluster.data.byHealth.Degraded} degraded · {cluster.data.driftedCount} drifted · {cluster.data.failingCount} failing
            </dd>
          </div>
        </dl>
      )}
      {cluster.data && cluster.data.revokedAt === null && isAllowed(who, 'admin') && <RevokeAction name={name} onDone={cluster.reload} />}

      <h2>Components</h2>
      {items.error && <ErrorBox error={items.error} onRetry={items.reload} />}
      {items.data && items.data.length === 0 && <Empty>Nothing has been deployed to {name} yet.</Empty>}
      {items.data && items.data.length > 0 && (
        <table className="data">
          <caption className="visually-hidden">Every component on {name}</caption>
          <thead>
            <tr>
              <th scope="col">Component</th>
              <th scope="col">Applied</th>
              <th scope="col">Desired</th>
              <th scope="col">Health</th>
              <th scope="col">Sync</th>
              <th scope="col">Drift</th>
              <th scope="col">Problem</th>
              <th scope="col">Commit</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {items.data.map((i) => (
              <tr key={i.component}>
                <th scope="row">
                  <Link href={href.component(i.component)}>{i.component}</Link>
                </th>
                <td className="mono">{i.applied?.version ?? '—'}</td>
                <td className="mono">{i.desired?.version ?? '—'}</td>
                <td>
                  <HealthBadge health={i.health?.status ?? null} />
                </td>
                <td>
                  <SyncBadge sync={i.sync} />
                </td>
                <td>
                  {i.drift?.status === 'Drifted' ? (
                    <span className="badge tone-degraded" title={i.drift.fields.join(', ')}>
                      <span aria-hidden="true">⚠</span> Drifted{i.drift.manager === null ? '' : ` by ${i.drift.manager}`}
                    </span>
                  ) : (
                    <span className="muted">in sync</span>
                  )}
                </td>
                <td>{i.problem ? <span title={i.problem.reason}>{i.problem.kind.replace(/_/g, ' ')}</span> : <span className="muted">—</span>}</td>
                <td>
                  <CommitLink sha={i.desired?.revision ?? null} />
                </td>
                <td>
                  <Link href={href.ledger({ cluster: name, component: i.component })}>
                    <When at={lastChange(i)} />
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Admin only: revoke every credential of the cluster (the API checks the role again). */
function RevokeAction({ name, onDone }: { name: string; onDone: () => void }) {
  const { api } = useSession();
  const [isConfirming, setIsConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | undefined>(undefined);
  const revoke = async () => {
    try {
      await api.send('DELETE', `/v1/clusters/${encodeURIComponent(name)}${reason.trim() === '' ? '' : `?reason=${encodeURIComponent(reason.trim())}`}`);
      setMessage(`${name} is revoked: its agents' credentials no longer work.`);
      setIsConfirming(false);
      onDone();
    } catch (err) {
      setMessage(`Could not revoke ${name}: ${(err as Error).message}`);
    }
  };
  return (
    <div className="actions" aria-label="Cluster actions" role="group">
      {!isConfirming ? (
        <button type="button" className="danger" onClick={() => setIsConfirming(true)}>
          Revoke cluster
        </button>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void revoke();
          }}
        >
          <label>
            Reason (recorded in the ledger)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
          </label>
          <button type="submit" className="danger">
            Revoke {name} now
          </button>
          <button type="button" onClick={() => setIsConfirming(false)}>
            Cancel
          </button>
        </form>
      )}
      {message !== undefined && <p role="status">{message}</p>}
    </div>
  );
}
