/** What the hosts answer: shapes shared by the benchmark and its host processes. */

export interface ApiTotals {
  requests: number;
  writes: number;
  byMethod: Record<string, number>;
  openWatches: number;
}

export interface KubeSimReady {
  clusters: string[];
  kubeconfigPath: string;
}

/** When an agent saw a desired-state update (wall clock, ms). */
export interface ReceivedUpdate {
  cluster: string;
  component: string;
  revision: number;
  atMs: number;
}

export interface AgentHostStatus {
  agents: number;
  readyAgents: number;
  appliedEvents: number;
  pendingEvents: number;
  reconciles: number;
  writes: number;
  reads: number;
  failures: number;
}

export interface ResyncResult {
  components: number;
  durationMs: number;
  writes: number;
  reads: number;
}

export interface FetchRecord {
  startAtMs: number;
  endAtMs: number;
}

export interface RenderStart {
  sha: string;
  atMs: number;
}

export interface PublishedCommit {
  sha: string;
  atMs: number;
  puts: number;
}

export interface DurationTotals {
  sumMs: number;
  count: number;
}

export interface WatcherTimeline {
  fetches: FetchRecord[];
  renderStarts: RenderStart[];
  published: PublishedCommit[];
  fetchDuration: DurationTotals;
  renderDuration: DurationTotals;
  publishDuration: DurationTotals;
}
