import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse } from 'yaml';
import { EnvironmentFileSchema, environmentJsonSchema } from './index.js';
import { repoPath } from './testdata/repos.js';

describe('the JSON schema for editors', () => {
  it('is exactly what docs/schemas/driftless.schema.json holds (run `npm run schema -w @driftless/envrepo` after changing it)', () => {
    const committed = readFileSync(repoPath('docs/schemas/driftless.schema.json'), 'utf8');
    assert.equal(committed, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
  });

  it('accepts the example environment and describes its fields', () => {
    const example: unknown = parse(readFileSync(repoPath('test/fixtures/envrepo/driftless.yaml'), 'utf8'));
    assert.ok(TypeCompiler.Compile(EnvironmentFileSchema).Check(example));
    const schema = environmentJsonSchema() as { properties: Record<string, { description?: string }> };
    assert.match(schema.properties['stages']?.description ?? '', /promotion order/);
  });

  it('rejects names that are not DNS labels, including ones longer than 63 characters', () => {
    const check = TypeCompiler.Compile(EnvironmentFileSchema);
    const base = { apiVersion: 'driftless.dev/v1alpha1', kind: 'Environment', stages: ['dev'], components: {}, apps: {} };
    assert.ok(check.Check({ ...base, clusters: { [`a${'b'.repeat(62)}`]: { stage: 'dev' } } }));
    assert.ok(!check.Check({ ...base, clusters: { [`a${'b'.repeat(63)}`]: { stage: 'dev' } } }));
    assert.ok(!check.Check({ ...base, clusters: { Dev: { stage: 'dev' } } }));
  });
});
