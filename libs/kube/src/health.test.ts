import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Health } from '@driftless/contracts';
import { foldHealth, healthOf, type KubeObject } from './index.js';

const dir = join(import.meta.dirname, 'testdata', 'health');

describe('health per kind (fixtures)', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('has fixtures', () => assert.ok(files.length >= 15));
  for (const file of files) {
    it(file, () => {
      const obj = parse(readFileSync(join(dir, file), 'utf8')) as KubeObject;
      const expected = obj.metadata.annotations?.['test.driftless.dev/expected-health'];
      assert.ok(expected, `${file} names its expected health`);
      const status = healthOf(obj);
      assert.equal(status.health, expected, `${file}: ${status.message ?? ''}`);
      if (status.health !== Health.Healthy && status.health !== Health.Missing) assert.ok(status.message, `${file} explains why`);
    });
  }
  it('a missing object is Missing', () => assert.equal(healthOf(undefined).health, Health.Missing));
});

describe('foldHealth', () => {
  it('an empty component is Healthy', () => assert.deepEqual(foldHealth([]), { health: Health.Healthy }));
  it('takes the worst and names the object', () => {
    const folded = foldHealth([
      { label: 'ConfigMap a', status: { health: Health.Healthy } },
      { label: 'Deployment web', status: { health: Health.Progressing, message: '1 of 2 replicas updated' } },
      { label: 'Job migrate', status: { health: Health.Degraded, message: 'backoff limit' } },
      { label: 'Secret s', status: { health: Health.Missing } },
    ]);
    assert.deepEqual(folded, { health: Health.Degraded, message: 'Job migrate: backoff limit' });
  });
  it('orders Progressing < Unknown < Missing < Degraded', () => {
    const fold = (...hs: Health[]) => foldHealth(hs.map((h, i) => ({ label: `o${i}`, status: { health: h } }))).health;
    assert.equal(fold(Health.Healthy, Health.Progressing), Health.Progressing);
    assert.equal(fold(Health.Progressing, Health.Unknown), Health.Unknown);
    assert.equal(fold(Health.Missing, Health.Unknown), Health.Missing);
    assert.equal(fold(Health.Missing, Health.Degraded), Health.Degraded);
    assert.equal(foldHealth([{ label: 'x', status: { health: Health.Missing } }]).message, 'x: missing');
  });
});
