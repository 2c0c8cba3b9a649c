/**
 * loadPolicy: policy.yaml at one commit, read through the RepoReader port and validated into an
 * immutable Policy (gates per stage, who may change what, signing keys, blast-radius brake).
 * The file is optional: without it there are no gates and no restrictions.
 */
import type { PromotionGates, TimeWindow } from '@driftless/contracts';
import { RenderError } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import type { RepoReader } from './ports.js';
import { readFile } from './read.js';
import { POLICY_FILE, PolicyFileSchema, type PolicyFile } from './policy-schema.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { schemaProblems, type Problem } from './validate.js';
import { deepFreeze, isPlainObject } from './values.js';
import { alternatives } from './words.js';
import { formatPath, parseYaml } from './yaml-file.js';

export const KeyKind = { ssh: 'ssh', gpg: 'gpg' } as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

/** A public key commits may be signed with, named in policy.yaml. */
export interface PolicyKey {
  readonly name: string;
  readonly kind: KeyKind;
  /** The OpenSSH public key line, or the ASCII-armoured OpenPGP key block. */
  readonly publicKey: string;
}

/** Who may make a change: author email globs and signing keys; an absent list restricts nothing. */
export interface ChangeRules {
  readonly authors?: readonly string[];
  readonly signedBy?: readonly string[];
}

export interface BrakeLimits {
  readonly maxClustersRemoved?: number;
  readonly maxClustersChanged?: number;
}

export interface StagePolicy {
  readonly stage: string;
  readonly gates: PromotionGates;
  readonly changes: ChangeRules;
  /** The stage's own brake; limits it leaves out fall back to the policy's default brake. */
  readonly brake: BrakeLimits | undefined;
}

/** Who may change the files matching `path` (a glob), whatever stage they belong to. */
export interface PathRule extends ChangeRules {
  readonly path: string;
  /** Line of the rule in policy.yaml, for messages. */
  readonly line: number | undefined;
}

export interface Policy {
  /** False when the repository has no policy.yaml (nothing is gated or restricted). */
  readonly isDeclared: boolean;
  readonly keys: ReadonlyMap<string, PolicyKey>;
  readonly stages: ReadonlyMap<string, StagePolicy>;
  readonly paths: readonly PathRule[];
  /** The default brake for stages without their own. */
  readonly brake: BrakeLimits | undefined;
}

export interface LoadedPolicy {
  readonly policy: Policy;
  /** Things that are allowed but probably wrong (a stage driftless.yaml does not have). */
  readonly warnings: readonly string[];
}

export interface PolicyLoadOptions {
  /** The stages of driftless.yaml: policy for any other stage is reported as a warning. */
  readonly stages?: readonly string[];
  readonly limits?: Partial<Limits>;
}

export const NO_POLICY: Policy = deepFreeze({ isDeclared: false, keys: new Map(), stages: new Map(), paths: [], brake: undefined });

const policyCheck = TypeCompiler.Compile(PolicyFileSchema);
const POLICY_KIND_TEXT = 'apiVersion: driftless.dev/v1alpha1, kind: Policy';

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/]+={0,2}( .*)?$/;
const PGP_KEY_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+-----END PGP PUBLIC KEY BLOCK-----/;

/** Seconds in a duration such as `1h30m` (the schema has already checked its form). */
export function parseDuration(text: string): number {
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([smhd])/g)) seconds += Number(amount) * (SECONDS_PER_UNIT[unit ?? 's'] ?? 1);
  return seconds;
}

function minutesOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function entries(value: unknown): [string, unknown][] {
  return isPlainObject(value) ? Object.entries(value) : [];
}
function field(value: unknown, key: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The checks the schema cannot express: keys well formed, key references resolve, windows make sense. */
function referenceProblems(root: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const keyNames = entries(root['keys']).map(([name]) => name);
  const checkSigners = (value: unknown, path: (string | number)[]) => {
    list(value).forEach((name, i) => {
      if (typeof name === 'string' && !keyNames.includes(name)) {
        problems.push({ path: [...path, i], reason: `unknown key "${name}"${alternatives('keys', name, keyNames)}; list the key under keys first` });
      }
    });
  };

  for (const [name, key] of entries(root['keys'])) {
    if (!isPlainObject(key)) continue;
    const kinds = Object.keys(key);
    if (kinds.length !== 1) {
      problems.push({ path: ['keys', name], reason: `give exactly one of ssh or gpg, not ${kinds.length === 0 ? 'neither' : kinds.join(' and ')}` });
      continue;
    }
    const ssh = field(key, 'ssh');
    const gpg = field(key, 'gpg');
    if (typeof ssh === 'string' && !SSH_KEY.test(ssh.trim())) {
      problems.push({
        path: ['keys', name, 'ssh'],
        reason: 'is not an OpenSSH public key line: expected "ssh-ed25519 AAAA… comment" (or ssh-rsa, ecdsa-sha2-nistp256/384/521), as in a .pub file',
      });
    }
    if (typeof gpg === 'string' && !PGP_KEY_BLOCK.test(gpg)) {
      problems.push({ path: ['keys', name, 'gpg'], reason: 'is not an ASCII-armoured OpenPGP public key: expected "-----BEGIN PGP PUBLIC KEY BLOCK-----" … (gpg --armor --export)' });
    }
  }

  for (const [stage, stagePolicy] of entries(root['stages'])) {
    checkSigners(field(field(stagePolicy, 'changes'), 'signedBy'), ['stages', stage, 'changes', 'signedBy']);
    list(field(field(stagePolicy, 'gates'), 'windows')).forEach((window, i) => {
      const path = ['stages', stage, 'gates', 'windows', i];
      const timezone = field(window, 'timezone');
      if (typeof timezone === 'string' && timezone !== '' && !isTimeZone(timezone)) {
        problems.push({ path: [...path, 'timezone'], reason: `unknown time zone "${timezone}": use an IANA name such as Europe/Berlin or UTC` });
      }
      const start = field(window, 'start');
      const end = field(window, 'end');
      if (typeof start === 'string' && typeof end === 'string' && /^\d\d:\d\d$/.test(start) && /^\d\d:\d\d$/.test(end) && minutesOf(end) <= minutesOf(start)) {
        problems.push({ path: [...path, 'end'], reason: `must be after start (${start}); for a window over midnight, give two windows` });
      }
    });
  }

  list(root['paths']).forEach((rule, i) => {
    checkSigners(field(rule, 'signedBy'), ['paths', i, 'signedBy']);
    const path = field(rule, 'path');
    if (typeof path === 'string' && path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      problems.push({ path: ['paths', i, 'path'], reason: `${JSON.stringify(path)} must be a plain repository path: no empty, "." or ".." parts` });
    }
    if (isPlainObject(rule) && field(rule, 'authors') === undefined && field(rule, 'signedBy') === undefined) {
      problems.push({ path: ['paths', i], reason: 'restricts nothing: give authors and/or signedBy' });
    }
  });
  return problems;
}

function isUnder(path: readonly (string | number)[], prefix: readonly (string | number)[]): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/** Plain words for the patterns the generic schema messages can only quote. */
function clearerReason(problem: Problem): string {
  const last = problem.path[problem.path.length - 1];
  if (!problem.reason.includes(' does not match ')) return problem.reason;
  if (last === 'soak') return `${problem.reason.split(' does not match ')[0] ?? ''} is not a duration: use whole numbers with s, m, h or d, e.g. 90s, 10m, 1h30m, 2d`;
  if (last === 'start' || last === 'end') return `${problem.reason.split(' does not match ')[0] ?? ''} is not a time of day: use HH:MM on a 24-hour clock, e.g. "09:00"`;
  return problem.reason;
}

/** Every problem in a parsed policy.yaml, or the typed file when there are none. */
export function validatePolicyFile(root: unknown): { ok: true; file: PolicyFile } | { ok: false; problems: Problem[] } {
  if (!isPlainObject(root)) {
    return { ok: false, problems: [{ path: [], reason: `must be a map with apiVersion and kind: ${POLICY_KIND_TEXT}` }] };
  }
  const references = referenceProblems(root);
  // A key with both or neither of ssh/gpg is already explained above; the schema's wording adds nothing.
  const shape = schemaProblems(root, policyCheck)
    .filter((p) => !references.some((r) => isUnder(p.path, r.path)))
    .map((p) => ({ path: p.path, reason: clearerReason(p) }));
  const problems = [...references, ...shape];
  if (problems.length > 0 || !policyCheck.Check(root)) return { ok: false, problems };
  return { ok: true, file: root };
}
function changeRules(value: { authors?: string[]; signedBy?: string[] } | undefined): ChangeRules {
  return {
    ...(value?.authors === undefined ? {} : { authors: value.authors }),
    ...(value?.signedBy === undefined ? {} : { signedBy: value.signedBy }),
  };
}

function brakeLimits(value: PolicyFile['brake']): BrakeLimits | undefined {
  if (value === undefined) return undefined;
  return {
    ...(value.maxClustersRemoved === undefined ? {} : { maxClustersRemoved: value.maxClustersRemoved }),
    ...(value.maxClustersChanged === undefined ? {} : { maxClustersChanged: value.maxClustersChanged }),
  };
}

function toPolicy(file: PolicyFile, lineOf: (path: (string | number)[]) => number | undefined): Policy {
  const keys = new Map<string, PolicyKey>();
  for (const [name, key] of Object.entries(file.keys ?? {})) {
    keys.set(name, key.ssh === undefined ? { name, kind: KeyKind.gpg, publicKey: key.gpg ?? '' } : { name, kind: KeyKind.ssh, publicKey: key.ssh.trim() });
  }
  const stages = new Map<string, StagePolicy>();
  for (const [stage, value] of Object.entries(file.stages ?? {})) {
    const gates = value.gates;
    stages.set(stage, {
      stage,
      gates: {
        soakSeconds: gates?.soak === undefined ? 0 : parseDuration(gates.soak),
        approvals: gates?.approvals ?? 0,
        windows: (gates?.windows ?? []).map((w): TimeWindow => ({ days: [...w.days], start: w.start, end: w.end, timezone: w.timezone })),
        isRollbackExempt: gates?.rollbackExempt ?? false,
      },
      changes: changeRules(value.changes),
      brake: brakeLimits(value.brake),
    });
  }
  const paths = (file.paths ?? []).map((rule, i): PathRule => ({ path: rule.path, ...changeRules(rule), line: lineOf(['paths', i]) }));
  return deepFreeze({ isDeclared: true, keys, stages, paths, brake: brakeLimits(file.brake) });
}

/**
 * Parses and validates policy.yaml's bytes. Throws a RenderError listing every problem, each with
 * its line and path (e.g. `policy.yaml:12: stages.prod.changes.signedBy[0]: unknown key "carol"`).
 */
export function parsePolicy(bytes: Uint8Array, options: PolicyLoadOptions = {}): LoadedPolicy {
  const limits = resolveLimits(options.limits);
  const parsed = parseYaml(bytes, POLICY_FILE, limits);
  const documents = parsed.documents.filter((d) => d.value !== null);
  if (documents.length === 0) throw new RenderError({ file: POLICY_FILE, reason: `${POLICY_FILE} is empty; delete it for no policy, or give ${POLICY_KIND_TEXT}` });
  if (documents.length > 1) throw new RenderError({ file: POLICY_FILE, line: documents[1]?.line, reason: 'must be a single YAML document' });
  const index = parsed.documents.indexOf(documents[0] as (typeof documents)[number]);
  const lineOf = (path: (string | number)[]) => parsed.lineOf(index, path);

  const validation = validatePolicyFile(documents[0]?.value);
  if (!validation.ok) {
    const problems = validation.problems
      .map((p) => ({ file: POLICY_FILE, line: lineOf([...p.path]), ...(p.path.length > 0 ? { path: formatPath(p.path) } : {}), reason: p.reason }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new RenderError(problems);
  }
  const warnings: string[] = [];
  if (options.stages !== undefined) {
    const known = options.stages;
    for (const stage of Object.keys(validation.file.stages ?? {})) {
      if (!known.includes(stage)) {
        const line = lineOf(['stages', stage]);
        warnings.push(`${POLICY_FILE}${line === undefined ? '' : `:${line}`}: stages.${stage}: there is no stage "${stage}"${alternatives('stages', stage, known)}; its policy applies to nothing`);
      }
    }
  }
  return { policy: toPolicy(validation.file, lineOf), warnings };
}

/**
 * Reads policy.yaml at one commit. No file means NO_POLICY. Problems in the file throw a RenderError
 * (file, line, path and reason); errors the reader throws for an outage pass through unchanged.
 */
export async function loadPolicy(reader: RepoReader, options: PolicyLoadOptions = {}): Promise<LoadedPolicy> {
  const bytes = await readFile(reader, POLICY_FILE);
  if (bytes === undefined) return { policy: NO_POLICY, warnings: [] };
  return parsePolicy(bytes, options);
}
