/** One promotion: its plan, gates and what it waits for, approvals with who, waves, commits and its ledger steps; operators approve or reject it. */
import { useState } from 'react';
import type { Promotion } from '../api/promotion-types.js';
import type { Page, Transition, TransitionKind } from '../api/types.js';
import { CommitLink, Empty, ErrorBox, Loading, PageTitle, When } from '../components/common.js';
import { ActionMessage, PlanView, PromotionStatusBadge, refusal } from '../components/promotion-parts.js';
import { Timeline } from '../components/timeline.js';
import { approvalsText, gatesText, isApprovable, isRejectable, personOf, wavesText, whatMoves } from '../core/promotion.js';
import { useLoad } from '../load.js';
import { isAllowed, useSession } from '../session.js';
import { useRefreshOnPromotionRows } from '../promotion-live.js';

const PROMOTION_KINDS: TransitionKind[] = ['promotion_requested', 'promotion_waiting', 'promotion_approved', 'promotion_committed', 'promotion_rejected', 'promotion_halted'];

export function PromotionPage({ id }: { id: string }) {
  const { api, who } = useSession();
  const promotion = useLoad((signal) => api.get<Promotion>(`/v1/promotions/${encodeURIComponent(id)}`, undefined, signal), [api, id]);
  const component = promotion.data?.components[0]?.component;
  // The ledger has no filter by promotion id: read the promotion kinds of its first component and keep its own rows.
  const steps = useLoad(
    async (signal) => {
      if (component === undefined) return [];
      const page = await api.get<Page<Transition>>('/v1/transitions', { component, kind: PROMOTION_KINDS, limit: 500 }, signal);
      return page.items.filter((t) => (t.detail as Record<string, unknown>)['promotionId'] === id);
    },
    [api, id, component],
  );
  const isLive = useRefreshOnPromotionRows(() => (promotion.reload(), steps.reload()));

  const p = promotion.data;
  const mayAct = isAllowed(who, 'operator');
  return (
    <section aria-labelledby="page-heading">
      <PageTitle isLive={isLive} sub={p ? <span className="mono">{p.id}</span> : undefined}>
        {p ? whatMoves(p) : <>Promotion <span className="mono">{id}</span></>}
      </PageTitle>
      {promotion.error && <ErrorBox error={promotion.error} onRetry={promotion.reload} />}
      {!p && !promotion.error && <Loading what="the promotion" />}
      {p && (
        <>
          <dl className="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <PromotionStatusBadge status={p.status} />
                {p.statusReason !== null && <div>{p.statusReason}</div>}
                {p.decidedBy !== null && <div className="muted">by {personOf(p.decidedBy)}</div>}
              </dd>
            </div>
            <div>
              <dt>Kind</dt>
              <dd>{p.kind}</dd>
            </div>
            <div>
              <dt>Requested by</dt>
              <dd>
                {personOf(p.requester)} <span className="muted">&lt;{p.author.email}&gt;</span>
              </dd>
            </div>
            <div>
              <dt>Requested</dt>
              <dd>
                <When at={p.createdAt} />
              </dd>
            </div>
            <div>
              <dt>Reason</dt>
              <dd>{p.reason ?? <span className="muted">—</span>}</dd>
            </div>
            <div>
              <dt>Gates</dt>
              <dd>{gatesText(p.gates)}</dd>
            </div>
            <div>
              <dt>Approvals</dt>
              <dd data-testid="approvals-count">{approvalsText(p)}</dd>
            </div>
            <div>
              <dt>Waves</dt>
              <dd>{wavesText(p)}</dd>
            </div>
          </dl>
          {p.pending.length > 0 && (
            <div role="group" aria-labelledby="pending-heading">
              <h2 id="pending-heading">Waiting for</h2>
              <ul className="pending-list">
                {p.pending.map((g) => (
                  <li key={g.gate}>
                    <strong>{g.gate}</strong>: {g.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {p.watcherError !== null && (
            <p className="message is-error">
              <span aria-hidden="true">⚠ </span>Repo-watcher: {p.watcherError}
            </p>
          )}
          {mayAct && (isApprovable(p.status) || isRejectable(p.status)) && <PromotionActions promotion={p} onDone={(next) => promotion.update(() => next)} />}

          <h2>Approvals</h2>
          {p.approvals.length === 0 ? (
            <Empty>Nobody has approved it yet.</Empty>
          ) : (
            <table className="data">
              <caption className="visually-hidden">Approvals</caption>
              <thead>
                <tr>
                  <th scope="col">Approved by</th>
                  <th scope="col">Role</th>
                  <th scope="col">Comment</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {p.approvals.map((a) => (
                  <tr key={a.approver}>
                    <th scope="row">{personOf(a.approver)}</th>
                    <td>{a.role}</td>
                    <td>{a.comment ?? <span className="muted">—</span>}</td>
                    <td>
                      <When at={a.approvedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h2>Plan</h2>
          <PlanView plan={p.plan} caption="What the promotion changes, per cluster" />

          {p.waves.length > 0 && (
            <>
              <h2>Waves</h2>
              <table className="data">
                <caption className="visually-hidden">Waves</caption>
                <thead>
                  <tr>
                    <th scope="col">Wave</th>
                    <th scope="col">Clusters</th>
                    <th scope="col">Commit</th>
                    <th scope="col">Committed</th>
                  </tr>
                </thead>
                <tbody>
                  {p.waves.map((w) => (
                    <tr key={w.wave}>
                      <th scope="row">{w.wave}</th>
                      <td>{w.clusters.join(', ')}</td>
                      <td>
                        <CommitLink sha={w.commitSha} />
                      </td>
                      <td>
                        <When at={w.committedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}

          <h2>Commits</h2>
          {p.commits.length === 0 ? (
            <Empty>Not committed yet.</Empty>
          ) : (
            <ul>
              {p.commits.map((c) => (
                <li key={c.sha}>
                  <CommitLink sha={c.sha} /> {c.wave !== null && <>wave {c.wave} </>}
                  {c.clusters !== null && <span className="muted">({c.clusters.join(', ')}) </span>}
                  <When at={c.committedAt} />
                </li>
              ))}
            </ul>
          )}

          <h2>Ledger steps</h2>
          {steps.error && <ErrorBox error={steps.error} onRetry={steps.reload} />}
          {steps.data && steps.data.length === 0 && <Empty>The ledger has not recorded a step of this promotion yet.</Empty>}
          {steps.data && steps.data.length > 0 && <Timeline items={steps.data} caption="Ledger steps of this promotion, newest first" />}
        </>
      )}
    </section>
  );
}

type Mode = 'idle' | 'approving' | 'rejecting';

/** Operator: approve (optional comment) or reject (reason required); refusals are shown as the API words them. */
function PromotionActions({ promotion, onDone }: { promotion: Promotion; onDone: (next: Promotion) => void }) {
  const { api } = useSession();
  const [mode, setMode] = useState<Mode>('idle');
  const [text, setText] = useState('');
  const [isBusy, setIsBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; isError: boolean } | undefined>(undefined);
  const path = `/v1/promotions/${encodeURIComponent(promotion.id)}`;

  const submit = async () => {
    if (mode === 'rejecting' && text.trim() === '') {
      setMessage({ text: 'A reason is required to reject: it is recorded in the ledger.', isError: true });
      return;
    }
    setIsBusy(true);
    try {
      const next =
        mode === 'approving'
          ? await api.send<Promotion>('POST', `${path}/approve`, text.trim() === '' ? {} : { comment: text.trim() })
          : await api.send<Promotion>('POST', `${path}/reject`, { reason: text.trim() });
      setMessage({ text: mode === 'approving' ? `Approved. ${approvalsText(next)} approvals.` : 'Rejected.', isError: false });
      setMode('idle');
      setText('');
      onDone(next);
    } catch (err) {
      setMessage({ text: refusal(err, mode === 'approving' ? 'approve this promotion' : 'reject this promotion'), isError: true });
    } finally {
      setIsBusy(false);
    }
  };

  return (
    <div className="actions" role="group" aria-label="Promotion actions">
      {mode === 'idle' && (
        <>
          {isApprovable(promotion.status) && (
            <button type="button" onClick={() => (setMode('approving'), setMessage(undefined))}>
              Approve…
            </button>
          )}
          {isRejectable(promotion.status) && (
            <button type="button" className="danger" onClick={() => (setMode('rejecting'), setMessage(undefined))}>
              Reject…
            </button>
          )}
        </>
      )}
      {mode !== 'idle' && (
        <form
          className="stacked"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label>
            {mode === 'approving' ? 'Comment (optional, recorded in the ledger)' : 'Reason (required, recorded in the ledger)'}
            <textarea autoFocus value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} aria-required={mode === 'rejecting'} />
          </label>
          <div className="button-row">
            <button type="submit" disabled={isBusy} className={mode === 'rejecting' ? 'danger' : undefined}>
              {mode === 'approving' ? 'Approve' : 'Reject'}
            </button>
            <button type="button" onClick={() => (setMode('idle'), setText(''))}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ActionMessage message={message} />
    </div>
  );
}
