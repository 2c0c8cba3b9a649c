/**
 * The schema of `policy.yaml`, in TypeBox: the policy loader validates with it and the JSON schema
 * editors use (docs/schemas/policy.schema.json) is generated from it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, DNS_LABEL_PATTERN } from './schema.js';

export const POLICY_FILE = 'policy.yaml';
export const POLICY_KIND = 'Policy';

/** A duration such as `90s`, `10m`, `1h30m` or `2d`. */
export const DURATION_PATTERN = '^([0-9]+[smhd])+$';
export const CLOCK_START_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
export const CLOCK_END_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';

const keyName = (description: string) => Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63, description });
const keyNames = (description: string) => Type.Array(keyName('A key name from `keys`.'), { minItems: 1, uniqueItems: true, description });
const authorGlobs = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { minItems: 1, uniqueItems: true, description });

export const PolicyKeySchema = Type.Object(
  {
    ssh: Type.Optional(Type.String({ minLength: 1, maxLength: 16384, description: 'An OpenSSH public key line: `ssh-ed25519 AAAA… comment`.' })),
    gpg: Type.Optional(Type.String({ minLength: 1, maxLength: 65536, description: 'An ASCII-armoured OpenPGP public key block.' })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'A public key commits may be signed with: exactly one of ssh or gpg.' },
);

export const TimeWindowFileSchema = Type.Object(
  {
    days: Type.Array(Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d))), {
      minItems: 1,
      uniqueItems: true,
      description: 'Weekdays: mon, tue, wed, thu, fri, sat, sun.',
    }),
    start: Type.String({ pattern: CLOCK_START_PATTERN, description: 'Opening time, HH:MM (24-hour clock).' }),
    end: Type.String({ pattern: CLOCK_END_PATTERN, description: 'Closing time, HH:MM, after start (24:00 for the end of the day).' }),
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin or UTC.' }),
  },
  { additionalProperties: false, description: 'When promotions into the stage may be committed.' },
);

export const GatesSchema = Type.Object(
  {
    soak: Type.Optional(
      Type.String({
        pattern: DURATION_PATTERN,
        description: 'How long a version must be applied and healthy on every cluster of the previous stage (s, m, h, d; e.g. 1h30m). Default 0.',
      }),
    ),
    approvals: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100, description: 'Approvals by distinct operators, never the requester. Default 0.' }),
    ),
    windows: Type.Optional(Type.Array(TimeWindowFileSchema, { description: 'Allowed time windows; absent or empty means any time.' })),
    rollbackExempt: Type.Optional(Type.Boolean({ description: 'Whether rollbacks skip these gates. Default false.' })),
  },
  { additionalProperties: false, description: 'What a promotion into this stage must pass.' },
);

export const ChangeRulesSchema = Type.Object(
  {
    authors: Type.Optional(authorGlobs('Globs on the commit author\'s email (`*` matches anything, e.g. "*@example.com"); absent means anyone.')),
    signedBy: Type.Optional(keyNames('Commits changing this stage must carry a valid signature by one of these keys.')),
  },
  { additionalProperties: false, description: 'Who may make commits that change this stage.' },
);

export const BrakeSchema = Type.Object(
  {
    maxClustersRemoved: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Hold a commit that removes a component from more than this many clusters.' }),
    ),
    maxClustersChanged: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Hold a commit that changes the desired state of more than this many clusters.' }),
    ),
  },
  { additionalProperties: false, description: 'Blast-radius brake: a commit over a limit is held until approved.' },
);

export const StagePolicySchema = Type.Object(
  {
    gates: Type.Optional(GatesSchema),
    changes: Type.Optional(ChangeRulesSchema),
    brake: Type.Optional(BrakeSchema),
  },
  { additionalProperties: false, description: 'Gates, change rules and brake of one stage.' },
);

export const PathRuleSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[^/]',
      description: 'Repository-relative file path or glob (`*` within one folder, `**` across folders).',
    }),
    authors: Type.Optional(authorGlobs('Globs on the author email allowed to change matching files.')),
    signedBy: Type.Optional(keyNames('Commits changing matching files must be signed by one of these keys.')),
  },
  { additionalProperties: false, description: 'Who may change particular files at all, whatever stage they belong to.' },
);

export const PolicyFileSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(POLICY_KIND),
    keys: Type.Optional(
      Type.Record(Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63, description: 'key name (a DNS label)' }), PolicyKeySchema, {
        additionalProperties: false,
        description: 'Public keys commits may be signed with, by name.',
      }),
    ),
    stages: Type.Optional(
      Type.Record(Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63, description: 'stage name (a DNS label)' }), StagePolicySchema, {
        additionalProperties: false,
        description: 'Policy per stage, by stage name (the stages of driftless.yaml).',
      }),
    ),
    paths: Type.Optional(Type.Array(PathRuleSchema, { description: 'Rules for particular files, checked on every commit.' })),
    brake: Type.Optional(BrakeSchema),
  },
  {
    additionalProperties: false,
    title: 'Driftless policy',
    description: 'policy.yaml: promotion gates per stage, who may change what, required signatures and the blast-radius brake.',
  },
);
export type PolicyFile = Static<typeof PolicyFileSchema>;

/** The JSON schema an editor can use for policy.yaml (what docs/schemas/policy.schema.json holds). */
export function policyJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(PolicyFileSchema)) as Record<string, unknown>;
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'https://driftless.dev/schemas/policy.schema.json', ...plain };
}
