/**
 * The schema of `driftless.yaml`, in TypeBox: the loader validates with it and the JSON schema
 * users point their editor at is generated from it, so the two cannot drift apart.
 */
import { Type, type Static } from '@sinclair/typebox';

export const API_VERSION = 'driftless.dev/v1alpha1';
export const ENVIRONMENT_KIND = 'Environment';
export const ENVIRONMENT_FILE = 'driftless.yaml';
export const VERSIONS_DIR = 'versions';
export const CLUSTER_PINS_DIR = 'versions/clusters';

/** A DNS label, length included, so it also bounds names used as map keys. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** Image-tag characters: a version is substituted into image references. */
export const VERSION_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
const LABEL_KEY_PATTERN = '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

const dnsLabel = (description: string) => Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63, description });
const byName = <T extends Parameters<typeof Type.Record>[1]>(what: string, value: T, description: string) =>
  Type.Record(Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63, description: `${what} name (a DNS label)` }), value, {
    additionalProperties: false,
    description,
  });

const values = (description: string) =>
  Type.Record(Type.String(), Type.Unknown(), {
    description: `${description} Read in templates as \${values.<path>}; maps merge deeply, lists and scalars replace.`,
  });
const version = (description: string) =>
  Type.String({
    pattern: VERSION_PATTERN,
    description: `${description} Substituted as \${version}, usually an image tag; quote it if YAML would read a number ("1.10").`,
  });
const labels = (description: string) =>
  Type.Record(Type.String({ pattern: LABEL_KEY_PATTERN, maxLength: 253 }), Type.String({ maxLength: 63 }), {
    additionalProperties: false,
    description,
  });

export const ClusterSchema = Type.Object(
  {
    stage: dnsLabel('The stage this cluster belongs to; one of `stages`.'),
    labels: Type.Optional(labels('Cluster labels, matched by app selectors and read in templates as ${cluster.labels.<key>}.')),
    values: Type.Optional(values('Values for every component on this cluster; above component defaults and app values.')),
    componentValues: Type.Optional(
      byName('component', values('Values for one component on this cluster; the highest layer.'), 'Values per component on this cluster only.'),
    ),
  },
  { additionalProperties: false, description: 'A cluster that runs an agent.' },
);

export const ComponentOptionsSchema = Type.Object(
  {
    driftCorrection: Type.Optional(
      Type.Boolean({ default: true, description: 'Whether the agent puts back live objects someone changed by hand.' }),
    ),
    prune: Type.Optional(
      Type.Object(
        {
          maxShare: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              default: 0.5,
              description: 'Prune brake: the largest share (0..1) of this component\'s objects one change may delete.',
            }),
          ),
          namespaces: Type.Optional(Type.Boolean({ default: false, description: 'Whether pruning may delete Namespace objects.' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'How agents treat this component.' },
);

export const ComponentSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      pattern: '^[^/]',
      description: 'Folder with the component\'s Kubernetes YAML (*.yaml, *.yml, subfolders included), relative to the repository root.',
    }),
    values: Type.Optional(values('Default values of the component; the lowest layer.')),
    options: Type.Optional(ComponentOptionsSchema),
  },
  { additionalProperties: false, description: 'One microservice, defined once and shared by any number of apps.' },
);

export const ClusterSelectorSchema = Type.Object(
  {
    stages: Type.Optional(Type.Array(dnsLabel('A stage name.'), { minItems: 1, uniqueItems: true, description: 'Clusters at any of these stages.' })),
    labels: Type.Optional(labels('Clusters carrying every one of these labels.')),
    names: Type.Optional(Type.Array(dnsLabel('A cluster name.'), { minItems: 1, uniqueItems: true, description: 'Only these clusters.' })),
  },
  { additionalProperties: false, description: 'Which clusters the app runs on: the clusters matching every criterion given.' },
);

export const AppOverrideSchema = Type.Object(
  {
    values: Type.Optional(values('Values this app needs for the component; above component defaults, below cluster values.')),
    version: Type.Optional(version('Holds the component at this version wherever this app places it, over the stage version (a cluster pin still wins).')),
  },
  { additionalProperties: false },
);

export const AppSchema = Type.Object(
  {
    components: Type.Array(dnsLabel('A component name.'), { minItems: 1, uniqueItems: true, description: 'The components this app is made of.' }),
    clusters: ClusterSelectorSchema,
    overrides: Type.Optional(
      byName(
        'component',
        AppOverrideSchema,
        'Per-component settings of this app. Two apps placing a component on one cluster must end up with the same values and version.',
      ),
    ),
  },
  { additionalProperties: false, description: 'An application: the blast-radius unit, naming its components and where they run.' },
);

export const EnvironmentFileSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(ENVIRONMENT_KIND),
    stages: Type.Array(dnsLabel('A stage name.'), {
      minItems: 1,
      uniqueItems: true,
      description: 'Stages in promotion order. Versions per stage live in versions/<stage>.yaml.',
    }),
    clusters: byName('cluster', ClusterSchema, 'Every cluster, by name. Per-cluster version pins live in versions/clusters/<cluster>.yaml.'),
    components: byName('component', ComponentSchema, 'Every component, by name.'),
    apps: byName('app', AppSchema, 'Every app, by name.'),
  },
  {
    additionalProperties: false,
    title: 'Driftless environment',
    description: 'driftless.yaml: the stages, clusters, components and apps of one environment repository.',
  },
);
export type EnvironmentFile = Static<typeof EnvironmentFileSchema>;

/** The JSON schema an editor can use for driftless.yaml (what docs/schemas/driftless.schema.json holds). */
export function environmentJsonSchema(): Record<string, unknown> {
  // JSON round-trip drops TypeBox's symbol keys and leaves exactly what an editor reads.
  const plain = JSON.parse(JSON.stringify(EnvironmentFileSchema)) as Record<string, unknown>;
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'https://driftless.dev/schemas/driftless.schema.json', ...plain };
}
