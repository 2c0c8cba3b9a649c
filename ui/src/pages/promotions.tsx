/** Promotions: open and recent ones with their gates, approvals and waves, and the commits the change policy holds. */
import { useState } from 'react';
import type { ApprovedChange, HeldChange, PromotionSummary } from '../api/promotion-types.js';
import type { Page } from '../api/types.js';
import { CommitLink, Empty, ErrorBox, Loading, PageTitle, When } from '../components/common.js';
import { ActionMessage, PromotionStatusBadge, refusal } from '../components/promotion-parts.js';
import { approvalsText, isOpen, personOf, wavesText, whatMoves } from '../core/promotion.js';
import { href } from '../core/route.js';
import { useLoad, type Loaded } from '../load.js';
import { useRefreshOnPromotionRows } from '../promotion-live.js';
import { Link } from '../router.js';
import { isAllowed, useSession } from '../session.js';

const RECENT = 50;

export function PromotionsPage() {
  const { api } = useSession();
  const promotions = useLoad((signal) => api.get<Page<PromotionSummary>>('/v1/promotions', { limit: RECENT }, signal), [api]);
  const held = useLoad((signal) => api.get<{ items: HeldChange[] }>('/v1/changes', undefined, signal), [api]);
  const isLive = useRefreshOnPromotionRows(() => (promotions.reload(), held.reload()));

  const open = promotions.data?.items.filter((p) => isOpen(p.status)) ?? [];
  const finished = promotions.data?.items.filter((p) => !isOpen(p.status)) ?? [];
  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub="Versions move between stages here: what waits for which gate, who approved, and what the change policy holds.">
        Promotions
      </PageTitle>
      {promotions.error && <ErrorBox error={promotions.error} onRetry={promotions.reload} />}
      {!promotions.data && !promotions.error && <Loading what="the promotions" />}
      {promotions.data && (
        <>
          <h2>Open</h2>
          {open.length === 0 ? <Empty>No promotion is open. Start one from a component page (Promote…).</Empty> : <PromotionTable items={open} caption="Open promotions" />}
          <h2>Recent</h2>
          {finished.length === 0 ? <Empty>No promotion has finished yet.</Empty> : <PromotionTable items={finished} caption="Recent promotions, newest first" />}
        </>
      )}
      <HeldChanges held={held} />
    </section>
  );
}

function PromotionTable({ items, caption }: { items: readonly PromotionSummary[]; caption: string }) {
  return (
    <table className="data promotions">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Promotion</th>
          <th scope="col">Status</th>
          <th scope="col">Requested by</th>
          <th scope="col">Waiting for</th>
          <th scope="col">Approvals</th>
          <th scope="col">Waves</th>
          <th scope="col">Commits</th>
          <th scope="col">Requested</th>
        </tr>
      </thead>
      <tbody>
        {items.map((p) => (
          <tr key={p.id} data-promotion={p.id}>
            <th scope="row">
              <Link href={href.promotion(p.id)}>{whatMoves(p)}</Link>
              <div className="muted mono">{p.id}</div>
            </th>
            <td>
              <PromotionStatusBadge status={p.status} />
              {p.statusReason !== null && <div className="muted">{p.statusReason}</div>}
            </td>
            <td>{personOf(p.requester)}</td>
            <td>{p.pending.length === 0 ? <span className="muted">—</span> : p.pending.map((g) => g.gate).join(', ')}</td>
            <td>{approvalsText(p)}</td>
            <td>{wavesText(p)}</td>
            <td>
              {p.commits.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                p.commits.map((c) => (
                  <span key={c.sha}>
                    <CommitLink sha={c.sha} />{' '}
                  </span>
                ))
              )}
            </td>
            <td>
              <When at={p.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HeldChanges({ held }: { held: Loaded<{ items: HeldChange[] }> }) {
  const { who } = useSession();
  const mayApprove = isAllowed(who, 'operator');
  return (
    <>
      <h2 id="held-heading">Held changes</h2>
      <p className="muted">Commits the repo-watcher did not publish for some stages because they break the change policy or trip the blast-radius brake.</p>
      {held.error && <ErrorBox error={held.error} onRetry={held.reload} />}
      {held.data && held.data.items.length === 0 && <Empty>No commit is held.</Empty>}
      {held.data && held.data.items.length > 0 && (
        <table className="data held" aria-labelledby="held-heading">
          <thead>
            <tr>
              <th scope="col">Commit</th>
              <th scope="col">Author</th>
              <th scope="col">Stages</th>
              <th scope="col">Why it is held</th>
              <th scope="col">Clusters</th>
              <th scope="col">Approved by</th>
              <th scope="col">Held</th>
              {mayApprove && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {held.data.items.map((h) => (
              <tr key={h.commit.sha} data-sha={h.commit.sha}>
                <th scope="row">
                  <CommitLink sha={h.commit.sha} />
                  <div className="muted">{h.commit.message.split('\n')[0]}</div>
                </th>
                <td>{h.commit.author.email}</td>
                <td>{h.stages.join(', ')}</td>
                <td>
                  <ul className="held-reasons">
                    {h.reasons.map((r, i) => (
                      <li key={i}>
                        {r.stage}: {r.message}
                      </li>
                    ))}
                  </ul>
                  {!h.isApprovable && <div className="muted">No approval can release it: push a new commit instead.</div>}
                </td>
                <td>
                  {h.clusters.changed} changed, {h.clusters.removed} removed
                </td>
                <td className="approvers">{h.approvers.length === 0 ? <span className="muted">nobody yet</span> : h.approvers.map(personOf).join(', ')}</td>
                <td>
                  <When at={h.heldAt} />
                </td>
                {mayApprove && <td>{h.isApprovable && h.releasedAt === null ? <ApproveChange change={h} onDone={held.reload} /> : <span className="muted">—</span>}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Operator: approve a held commit (never its author; the API says so with a 403). */
function ApproveChange({ change, onDone }: { change: HeldChange; onDone: () => void }) {
  const { api } = useSession();
  const [message, setMessage] = useState<{ text: string; isError: boolean } | undefined>(undefined);
  const [isBusy, setIsBusy] = useState(false);
  const approve = async () => {
    setIsBusy(true);
    try {
      const res = await api.send<ApprovedChange>('POST', `/v1/changes/${encodeURIComponent(change.commit.sha)}/approve`, {});
      setMessage({ text: `Approved as ${personOf(res.approver)}; the repo-watcher releases it once the policy is met.`, isError: false });
      onDone();
    } catch (err) {
      setMessage({ text: refusal(err, 'approve this commit'), isError: true });
    } finally {
      setIsBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={isBusy} onClick={() => void approve()} aria-label={`Approve commit ${change.commit.sha.slice(0, 8)}`}>
        Approve
      </button>
      <ActionMessage message={message} />
    </>
  );
}
