/**
 * The gates a promotion waits for before its first commit, decided from facts only: the stage's
 * gates as its policy declares them, what the previous stage's clusters run (component_state),
 * the approvals so far, and the time. Each gate not passed yields one message saying exactly what
 * is missing; the messages hold no counters of elapsed time, so they change only when the facts do.
 */
import type { Health, PromotionGates, TimeWindow } from '@driftless/contracts';
import { isRoleAtLeast, Role } from './roles.js';

export const GateName = { soak: 'soak', approvals: 'approvals', window: 'window', wave: 'wave' } as const;
export type GateName = (typeof GateName)[keyof typeof GateName];

export interface Pending {
  gate: GateName;
  message: string;
}

/** What the ledger says one component runs on one cluster. */
export interface ComponentFacts {
  cluster: string;
  component: string;
  appliedVersion: string | null;
  appliedAt: Date | null;
  health: Health | null;
  healthAt: Date | null;
  /** The newest failure no later successful apply superseded. */
  problem: { kind: string; reason: string; version: string | null; isTerminal: boolean; at: Date } | null;
}

export interface Approval {
  approver: string;
  role: Role;
  at: Date;
  comment: string | null;
}

export const factsKey = (cluster: string, component: string) => `${cluster}/${component}`;

export interface GateInput {
  gates: PromotionGates;
  kind: 'promote' | 'rollback';
  components: readonly { component: string; version: string }[];
  /** The previous stage's (cluster, component) pairs that run a promoted component. */
  previousStageClusters: readonly { cluster: string; component: string }[];
  previousStage: string | null;
  facts: ReadonlyMap<string, ComponentFacts>;
  approvals: readonly Approval[];
  requester: string;
  now: Date;
}

/** Approvals that count: distinct people with the operator role or more, never the requester. */
export function countedApprovers(approvals: readonly Approval[], requester: string): string[] {
  const names = approvals.filter((a) => a.approver !== requester && isRoleAtLeast(a.role, Role.operator)).map((a) => a.approver);
  return [...new Set(names)].sort();
}

/** When (cluster, component) started running `version` healthy, or why it does not. */
export function healthySince(facts: ComponentFacts | undefined, version: string): { since: Date } | { problem: string } {
  if (!facts || facts.appliedVersion === null) return { problem: 'has not applied it yet' };
  if (facts.appliedVersion !== version) return { problem: `runs ${facts.appliedVersion}` };
  if (facts.health !== 'Healthy') return { problem: `is ${facts.health ?? 'of unknown health'}` };
  const applied = facts.appliedAt?.getTime() ?? 0;
  const healthy = facts.healthAt?.getTime() ?? 0;
  return { since: new Date(Math.max(applied, healthy)) };
}

function soakGate(input: GateInput): Pending | undefined {
  const soakMs = input.gates.soakSeconds * 1000;
  if (soakMs <= 0 || input.previousStage === null) return undefined;
  const versionOf = new Map(input.components.map((c) => [c.component, c.version]));
  const behind: string[] = [];
  for (const pair of input.previousStageClusters) {
    const version = versionOf.get(pair.component);
    if (version === undefined) continue;
    const state = healthySince(input.facts.get(factsKey(pair.cluster, pair.component)), version);
    if ('problem' in state) behind.push(`${pair.cluster} ${state.problem}`);
    else if (input.now.getTime() - state.since.getTime() < soakMs) behind.push(`${pair.cluster} has run it healthy since ${state.since.toISOString()}`);
  }
  if (behind.length === 0) return undefined;
  const what = input.components.map((c) => `${c.component} ${c.version}`).join(', ');
  return {
    gate: GateName.soak,
    message: `${what} must run applied and Healthy on every ${input.previousStage} cluster for ${input.gates.soakSeconds} s: ${behind.sort().join('; ')}`,
  };
}

function approvalsGate(input: GateInput): Pending | undefined {
  const needed = input.gates.approvals;
  if (needed <= 0) return undefined;
  const approvers = countedApprovers(input.approvals, input.requester);
  if (approvers.length >= needed) return undefined;
  const have = approvers.length === 0 ? 'none yet' : `${approvers.length} (${approvers.join(', ')})`;
  return { gate: GateName.approvals, message: `needs ${needed} approval${needed === 1 ? '' : 's'} by operators other than ${input.requester}; has ${have}` };
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `now` in an IANA time zone; undefined for an unknown zone. */
export function localTime(now: Date, timeZone: string): { day: (typeof WEEKDAYS)[number]; minute: number } | undefined {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      return undefined;
    }
    formatters.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(now).map((p) => [p.type, p.value]));
  const day = WEEKDAYS.find((d) => d === String(parts['weekday']).toLowerCase().slice(0, 3));
  if (day === undefined) return undefined;
  return { day, minute: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` falls in the window; a window whose end is not after its start runs past midnight. */
export function isInsideWindow(window: TimeWindow, now: Date): boolean {
  const local = localTime(now, window.timezone);
  if (!local) return false;
  const start = minuteOf(window.start);
  const end = minuteOf(window.end);
  const days = new Set<string>(window.days);
  if (start < end) return days.has(local.day) && local.minute >= start && local.minute < end;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(local.day) + 6) % 7] ?? 'sun';
  return (days.has(local.day) && local.minute >= start) || (days.has(yesterday) && local.minute < end);
}

export function describeWindow(w: TimeWindow): string {
  const zone = localTime(new Date(0), w.timezone) ? w.timezone : `${w.timezone} (an unknown time zone: this window never opens)`;
  return `${w.days.join(',')} ${w.start}-${w.end} ${zone}`;
}

function windowGate(input: GateInput): Pending | undefined {
  const windows = input.gates.windows;
  if (windows.length === 0 || windows.some((w) => isInsideWindow(w, input.now))) return undefined;
  return { gate: GateName.window, message: `outside the allowed time windows: ${windows.map(describeWindow).join('; ')}` };
}

/** Rollbacks marked exempt by the stage's policy skip every gate. */
export function isGateExempt(kind: 'promote' | 'rollback', gates: PromotionGates): boolean {
  return kind === 'rollback' && gates.isRollbackExempt;
}

/** Every gate not yet passed, in a fixed order (soak, approvals, window); empty when all pass. */
export function evaluateGates(input: GateInput): Pending[] {
  if (isGateExempt(input.kind, input.gates)) return [];
  return [soakGate(input), approvalsGate(input), windowGate(input)].filter((p): p is Pending => p !== undefined);
}
