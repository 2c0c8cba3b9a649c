/**
 * Promote… and Roll back… for one component: the form, then the repo-watcher's plan (a dry run
 * that records nothing), then on confirmation the promotion itself, whose page opens next.
 */
import { useEffect, useRef, useState } from 'react';
import type { PlanOnly, Promotion, PromotionKind, PromotionRequest } from '../api/promotion-types.js';
import { href } from '../core/route.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import { Dialog } from './dialog.js';
import { ActionMessage, PlanView, refusal } from './promotion-parts.js';

interface Draft {
  stage: string;
  version: string;
  wave: string;
  reason: string;
}

export function PromoteDialog({ component, kind, stages, initialStage, onClose }: { component: string; kind: PromotionKind; stages: readonly string[]; initialStage: string; onClose: () => void }) {
  const { api } = useSession();
  const [draft, setDraft] = useState<Draft>({ stage: initialStage, version: '', wave: '', reason: '' });
  const [plan, setPlan] = useState<PlanOnly | undefined>(undefined);
  const [isBusy, setIsBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; isError: boolean } | undefined>(undefined);
  const planHeading = useRef<HTMLHeadingElement>(null);
  const isRollback = kind === 'rollback';
  // The plan arriving moves focus to it, so a keyboard or screen-reader user reads it before confirming.
  useEffect(() => {
    if (plan !== undefined) planHeading.current?.focus();
  }, [plan]);

  const body = (): PromotionRequest | string => {
    const wave = draft.wave.trim() === '' ? undefined : Number(draft.wave);
    if (wave !== undefined && (!Number.isInteger(wave) || wave < 1)) return 'Wave size must be a whole number of clusters, 1 or more.';
    return {
      component,
      toStage: draft.stage,
      kind,
      ...(draft.version.trim() === '' ? {} : { version: draft.version.trim() }),
      ...(wave === undefined ? {} : { wave }),
      ...(draft.reason.trim() === '' ? {} : { reason: draft.reason.trim() }),
    };
  };

  const showPlan = async () => {
    const request = body();
    if (typeof request === 'string') return setMessage({ text: request, isError: true });
    setIsBusy(true);
    setMessage(undefined);
    try {
      setPlan(await api.send<PlanOnly>('POST', '/v1/promotions', { ...request, dryRun: true }));
    } catch (err) {
      setMessage({ text: refusal(err, `plan this ${isRollback ? 'rollback' : 'promotion'}`), isError: true });
    } finally {
      setIsBusy(false);
    }
  };

  const confirm = async () => {
    const request = body();
    if (typeof request === 'string') return setMessage({ text: request, isError: true });
    setIsBusy(true);
    try {
      const created = await api.send<Promotion>('POST', '/v1/promotions', request);
      onClose();
      navigate(href.promotion(created.id));
    } catch (err) {
      setMessage({ text: refusal(err, `request this ${isRollback ? 'rollback' : 'promotion'}`), isError: true });
      setIsBusy(false);
    }
  };

  const change = (field: keyof Draft) => (e: { target: { value: string } }) => {
    setDraft((d) => ({ ...d, [field]: e.target.value }));
    // A changed form makes the plan stale: it must be shown again before confirming.
    setPlan(undefined);
  };

  return (
    <Dialog title={isRollback ? `Roll back ${component}` : `Promote ${component}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void (plan === undefined ? showPlan() : confirm());
        }}
      >
        <div className="form-grid">
          <label>
            {isRollback ? 'Stage to roll back' : 'To stage'}
            <select value={draft.stage} onChange={change('stage')}>
              {stages.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            {isRollback ? 'To version (optional)' : 'Version (optional)'}
            <input value={draft.version} onChange={change('version')} placeholder={isRollback ? 'the version before the current one' : 'the previous stage’s version'} maxLength={128} />
          </label>
          <label>
            Wave size (optional)
            <input value={draft.wave} onChange={change('wave')} inputMode="numeric" placeholder="all clusters at once" />
          </label>
          <label>
            Reason (optional)
            <input value={draft.reason} onChange={change('reason')} maxLength={2000} />
          </label>
        </div>
        {plan !== undefined && (
          <section aria-labelledby="plan-heading" className="plan-preview">
            <h3 id="plan-heading" tabIndex={-1} ref={planHeading}>
              Plan: nothing is recorded until you confirm
            </h3>
            <PlanView plan={plan.plan} targets={plan.targets} waves={plan.waves} caption={`What the ${isRollback ? 'rollback' : 'promotion'} would change, per cluster`} />
          </section>
        )}
        <ActionMessage message={message} />
        <div className="button-row">
          {plan === undefined ? (
            <button type="submit" disabled={isBusy}>
              Show plan
            </button>
          ) : (
            <button type="submit" disabled={isBusy}>
              {isRollback ? 'Request this rollback' : 'Request this promotion'}
            </button>
          )}
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
        <p className="muted hint">
          Show plan asks the repo-watcher what would change and records nothing; confirming records the request, which then waits for the stage&apos;s gates.
        </p>
      </form>
    </Dialog>
  );
}
