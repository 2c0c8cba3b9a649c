-- The steps of one promotion (`GET /v1/transitions?promotion=`). Only promotion rows are indexed,
-- and the kinds are listed exactly as the query names them, so Postgres can match the predicate.
create index transitions_promotion on transitions ((detail->>'promotionId'), occurred_at desc, seq desc)
  where kind in ('promotion_requested', 'promotion_waiting', 'promotion_approved', 'promotion_rejected', 'promotion_committed', 'promotion_halted');
