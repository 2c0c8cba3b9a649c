/**
 * Promotion and held-change types, derived from the audit service's own TypeBox schemas
 * (type-only imports, as in types.ts: nothing of the service ends up in the bundle).
 */
import type { Static } from '@sinclair/typebox';
import type {
  ApprovedChangeSchema,
  HeldChangeSchema,
  PlanOnlySchema,
  PromotionBodySchema,
  PromotionSchema,
  PromotionStatusSchema,
  PromotionSummarySchema,
} from '@driftless/audit/promotion-schemas';

export type Promotion = Static<typeof PromotionSchema>;
export type PromotionSummary = Static<typeof PromotionSummarySchema>;
export type PromotionStatus = Static<typeof PromotionStatusSchema>;
export type PromotionRequest = Static<typeof PromotionBodySchema>;
export type PlanOnly = Static<typeof PlanOnlySchema>;
export type PromotionPlan = PlanOnly['plan'];
export type PromotionKind = Promotion['kind'];
export type HeldChange = Static<typeof HeldChangeSchema>;
/** The schema's `change` is a `$ref` to HeldChange; typed here by that schema. */
export type ApprovedChange = Omit<Static<typeof ApprovedChangeSchema>, 'change'> & { change: HeldChange };
