/**
 * The renderer's answer for one commit, as the watcher's core sees it: rendered pairs and
 * failures, each failure scoped to what it breaks (one pair, one cluster, or the whole commit).
 */
import type { DesiredState } from '@driftless/contracts';

export interface RenderedPair {
  cluster: string;
  component: string;
  stage: string;
  apps: readonly string[];
  version: string;
  objects: readonly Record<string, unknown>[];
  hash: string;
  options: DesiredState['options'];
}

export interface RenderFailure {
  /** Absent when the failure is not tied to one cluster (e.g. driftless.yaml does not parse). */
  cluster?: string;
  component?: string;
  file?: string;
  line?: number;
  reason: string;
}

export interface CommitRender {
  pairs: readonly RenderedPair[];
  failures: readonly RenderFailure[];
}
