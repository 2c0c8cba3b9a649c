/**
 * The API's response types, derived from the audit service's own TypeBox schemas (type-only
 * imports: nothing of the service ends up in the bundle, and nothing here is copied by hand).
 */
import type { Static } from '@sinclair/typebox';
import type {
  BlastRadiusSchema,
  ClusterSchema,
  CommitSchema,
  InventoryItemSchema,
  InventoryMatrixSchema,
  PlacementSchema,
  ProblemSchema,
  TransitionSchema,
  VerifySchema,
  WhoAmISchema,
} from '@driftless/audit/api-schemas';

export type Transition = Static<typeof TransitionSchema>;
export type InventoryItem = Static<typeof InventoryItemSchema>;
export type InventoryMatrix = Static<typeof InventoryMatrixSchema>;
export type Cluster = Static<typeof ClusterSchema>;
export type BlastRadius = Static<typeof BlastRadiusSchema>;
export type Placement = Static<typeof PlacementSchema>;
/** The commit schema's rows are `$ref`s to Transition; typed here by that schema. */
export type CommitProgress = Omit<Static<typeof CommitSchema>, 'transitions'> & { transitions: Transition[] };
export type CommitTarget = CommitProgress['targets'][number];
export type Verification = Static<typeof VerifySchema>;
export type WhoAmI = Static<typeof WhoAmISchema>;
export type Role = WhoAmI['role'];
export type Problem = Static<typeof ProblemSchema>;
export type Health = NonNullable<InventoryItem['health']>['status'];
export type Sync = InventoryItem['sync'];
export type TransitionKind = Transition['kind'];

/** A page of a listing: the schemas' pages hold `$ref`s, so their items are typed here by the item schema. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
