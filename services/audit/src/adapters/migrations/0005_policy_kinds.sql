-- Promotions that wait or halt, and the watcher's change policy (held, approved, released commits).
alter table transitions drop constraint transitions_kind_check;
alter table transitions add constraint transitions_kind_check check (kind in (
  'desired_changed', 'desired_removed', 'render_failed', 'repo_rewritten',
  'applied', 'apply_failed', 'drift_detected', 'drift_corrected', 'health_changed', 'prune_blocked',
  'cluster_registered', 'cluster_revoked',
  'promotion_requested', 'promotion_approved', 'promotion_committed', 'promotion_rejected',
  'promotion_waiting', 'promotion_halted',
  'change_held', 'change_approved', 'change_released'));
