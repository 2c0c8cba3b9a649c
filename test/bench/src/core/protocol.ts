/**
 * The messages between the benchmark and its host processes (kube-sim, agents, watcher) over
 * Node's IPC channel: calls with replies, and one-way notices from a host.
 */

export interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  payload: unknown;
}

export interface ReplyMessage {
  kind: 'reply';
  id: number;
  isOk: boolean;
  value?: unknown;
  error?: string;
}

export interface NoticeMessage {
  kind: 'notice';
  name: string;
  payload: unknown;
}

export type HostMessage = CallMessage | ReplyMessage | NoticeMessage;

export function isHostMessage(value: unknown): value is HostMessage {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'call' || kind === 'reply' || kind === 'notice';
}
