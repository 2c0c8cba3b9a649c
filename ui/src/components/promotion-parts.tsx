/** Pieces of the promotion pages: the status badge, the plan as tables, and a message line for action results. */
import { ApiError } from '../api/client.js';
import type { PromotionPlan, PromotionStatus } from '../api/promotion-types.js';
import { gatesText, STATUS_ICON, STATUS_TONE, STATUS_WORD } from '../core/promotion.js';
import { shortSha } from '../core/format.js';
import { href } from '../core/route.js';
import { Link } from '../router.js';
import './promotions.css';

export function PromotionStatusBadge({ status }: { status: PromotionStatus }) {
  return (
    <span className={`badge tone-${STATUS_TONE[status]}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICON[status]}</span> {STATUS_WORD[status]}
    </span>
  );
}

/** What the repo-watcher says the promotion changes: apps, clusters, objects, prunes, and what stays. */
export function PlanView({ plan, targets, waves, caption }: { plan: PromotionPlan; targets?: readonly string[]; waves?: readonly (readonly string[])[]; caption: string }) {
  const components = plan.components.map((c) => `${c.component} ${c.currentVersion ?? '(none)'} → ${c.version}`).join(', ');
  return (
    <div className="plan">
      <dl className="facts">
        <div>
          <dt>Moves</dt>
          <dd className="mono">{components}</dd>
        </div>
        <div>
          <dt>Stage</dt>
          <dd>
            {plan.stage}
            {plan.previousStage !== null && <span className="muted"> (after {plan.previousStage})</span>}
          </dd>
        </div>
        <div>
          <dt>Repository</dt>
          <dd>
            {plan.repo} at <span className="mono">{shortSha(plan.baseSha)}</span>
          </dd>
        </div>
        <div>
          <dt>Gates</dt>
          <dd>{gatesText(plan.gates)}</dd>
        </div>
        {targets !== undefined && (
          <div>
            <dt>Clusters it moves</dt>
            <dd>{targets.join(', ') || '—'}</dd>
          </div>
        )}
        {waves !== undefined && waves.length > 1 && (
          <div>
            <dt>Waves</dt>
            <dd>{waves.map((w, i) => `${i + 1}: ${w.join(', ')}`).join(' · ')}</dd>
          </div>
        )}
      </dl>
      <table className="data">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            <th scope="col">Component</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Apps</th>
            <th scope="col">Objects</th>
            <th scope="col">Prunes</th>
          </tr>
        </thead>
        <tbody>
          {plan.changes.length === 0 && (
            <tr>
              <td colSpan={7}>No cluster would change.</td>
            </tr>
          )}
          {plan.changes.map((c) => (
            <tr key={`${c.cluster}/${c.component}`}>
              <th scope="row">
                <Link href={href.cluster(c.cluster)}>{c.cluster}</Link>
              </th>
              <td>{c.component}</td>
              <td className="mono">{c.fromVersion ?? '—'}</td>
              <td className="mono">{c.toVersion}</td>
              <td>{c.apps.join(', ') || '—'}</td>
              <td>{c.objects}</td>
              <td>{c.prunes.length === 0 ? <span className="muted">none</span> : c.prunes.map((p) => `${p.kind}/${p.name}`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.unchanged.length > 0 && (
        <>
          <h3>Not changing</h3>
          <ul>
            {plan.unchanged.map((u) => (
              <li key={`${u.cluster}/${u.component}`}>
                {u.cluster} / {u.component}: {u.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** The outcome of an action, announced: refusals in words (role="alert"), successes politely. */
export function ActionMessage({ message }: { message: { text: string; isError: boolean } | undefined }) {
  if (message === undefined) return null;
  return message.isError ? (
    <p className="message is-error" role="alert">
      <span aria-hidden="true">✕ </span>
      {message.text}
    </p>
  ) : (
    <p className="message is-ok" role="status">
      <span aria-hidden="true">✓ </span>
      {message.text}
    </p>
  );
}

/** An API refusal in words: the problem's own detail, prefixed by what was refused. */
export function refusal(err: unknown, what: string): string {
  if (err instanceof ApiError) {
    const why = err.status === 403 ? 'Not allowed' : err.status === 409 ? 'Refused' : `Failed (${err.status})`;
    return `${why}: could not ${what}. ${err.message}`;
  }
  return `Could not ${what}: ${err instanceof Error ? err.message : String(err)}`;
}
