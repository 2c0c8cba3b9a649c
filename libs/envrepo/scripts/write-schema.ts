// Regenerates docs/schemas/driftless.schema.json and policy.schema.json from the TypeBox schemas (a test checks they match).
import { mkdirSync, writeFileSync } from 'node:fs';
import { environmentJsonSchema, policyJsonSchema } from '../src/index.js';

for (const [file, schema] of [
  ['driftless.schema.json', environmentJsonSchema()],
  ['policy.schema.json', policyJsonSchema()],
] as const) {
  const target = new URL(`../../../docs/schemas/${file}`, import.meta.url);
  mkdirSync(new URL('.', target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
