/**
 * How the watched branch moved since the last processed commit. Anything but a fast-forward is
 * reported as a rewrite before a single change from the new (possibly older) commit is published.
 */

export const BranchMove = {
  /** Nothing processed yet for this repository. */
  first: 'first',
  unchanged: 'unchanged',
  fastForward: 'fast-forward',
  /** The branch went back to an ancestor of what was processed (e.g. `git reset --hard HEAD~1 && git push -f`). */
  rewound: 'rewound',
  /** The processed commit is not in the new history (force-push of a rewritten history). */
  forcePushed: 'force-pushed',
  /** The processed commit no longer exists in the mirror (mirror recreated after a force-push). */
  previousMissing: 'previous-missing',
} as const;
export type BranchMove = (typeof BranchMove)[keyof typeof BranchMove];

export interface BranchFacts {
  previousSha: string | undefined;
  headSha: string;
  /** Whether the previous commit is still in the mirror. */
  hasPrevious: boolean;
  /** Whether the previous commit is an ancestor of the head. */
  isPreviousAncestorOfHead: boolean;
  /** Whether the head is an ancestor of the previous commit. */
  isHeadAncestorOfPrevious: boolean;
}

export function classifyMove(facts: BranchFacts): BranchMove {
  if (facts.previousSha === undefined) return BranchMove.first;
  if (facts.previousSha === facts.headSha) return BranchMove.unchanged;
  if (!facts.hasPrevious) return BranchMove.previousMissing;
  if (facts.isPreviousAncestorOfHead) return BranchMove.fastForward;
  return facts.isHeadAncestorOfPrevious ? BranchMove.rewound : BranchMove.forcePushed;
}

export function isRewrite(move: BranchMove): boolean {
  return move === BranchMove.rewound || move === BranchMove.forcePushed || move === BranchMove.previousMissing;
}

export function rewriteReason(move: BranchMove, branch: string): string {
  switch (move) {
    case BranchMove.rewound:
      return `branch ${branch} was moved back to an older commit (rewind); its state is re-published from that commit`;
    case BranchMove.forcePushed:
      return `branch ${branch} was force-pushed: the last published commit is no longer in its history`;
    case BranchMove.previousMissing:
      return `the last published commit of branch ${branch} no longer exists in the repository`;
    default:
      return `branch ${branch} moved (${move})`;
  }
}
