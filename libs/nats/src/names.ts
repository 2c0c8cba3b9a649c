/**
 * Names of the JetStream resources Driftless provisions. Production uses the contracts'
 * defaults; tests pass their own so each file gets private streams and buckets.
 */
import {
  DESIRED_BUCKET,
  EVENTS_STREAM,
  InvalidInputError,
  LEASES_BUCKET,
  MANIFESTS_OBJECT_STORE,
  WATCHER_STATE_BUCKET,
  subjects,
} from '@driftless/contracts';

export interface ResourceNames {
  eventsStream: string;
  /**
   * Prepended (with a dot) to every event subject on the wire. Streams may not overlap in
   * subjects, so a second installation or a test on a shared server needs its own prefix.
   * Empty by default.
   */
  subjectPrefix: string;
  desired: string;
  leases: string;
  watcherState: string;
  manifests: string;
}

export const DEFAULT_NAMES: Readonly<ResourceNames> = Object.freeze({
  eventsStream: EVENTS_STREAM,
  subjectPrefix: '',
  desired: DESIRED_BUCKET,
  leases: LEASES_BUCKET,
  watcherState: WATCHER_STATE_BUCKET,
  manifests: MANIFESTS_OBJECT_STORE,
});

const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const BUCKET_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const SUBJECT_PREFIX = /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$/;

/** Fills in defaults and checks every name, listing all bad ones at once. */
export function resolveNames(overrides: Partial<ResourceNames> = {}): ResourceNames {
  const names: ResourceNames = { ...DEFAULT_NAMES, ...overrides };
  const problems: string[] = [];
  if (!STREAM_NAME.test(names.eventsStream)) problems.push(`eventsStream "${names.eventsStream}" must be letters, digits, '-' or '_'`);
  if (!SUBJECT_PREFIX.test(names.subjectPrefix)) problems.push(`subjectPrefix "${names.subjectPrefix}" must be dot-separated tokens of letters, digits, '-' or '_' (e.g. "t-1a2b")`);
  for (const key of ['desired', 'leases', 'watcherState', 'manifests'] as const) {
    if (!BUCKET_NAME.test(names[key])) problems.push(`${key} "${names[key]}" must be letters, digits, '-' or '_'`);
  }
  if (problems.length > 0) throw new InvalidInputError(`invalid NATS resource names: ${problems.join('; ')}`);
  return names;
}

/** The subject an event with logical subject `subject` travels on. */
export function wireSubject(subject: string, subjectPrefix = ''): string {
  return subjectPrefix === '' ? subject : `${subjectPrefix}.${subject}`;
}

/** The subjects the events stream captures. */
export function eventStreamSubject(names: Pick<ResourceNames, 'subjectPrefix'>): string {
  return wireSubject(subjects.allEvents(), names.subjectPrefix);
}
