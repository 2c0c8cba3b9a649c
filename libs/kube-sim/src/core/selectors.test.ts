import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SelectorError, labelSelectorString, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';

const labels = { app: 'web', tier: 'frontend', version: '3' };

describe('label selectors', () => {
  const cases: Array<[string, boolean]> = [
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['tier in (frontend,backend)', true],
    ['tier in (backend)', false],
    ['tier notin (backend)', true],
    ['tier notin (frontend, backend)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['version>2', true],
    ['version<2', false],
    ['app=web,tier in (frontend),!missing', true],
    ['app=web,tier=backend', false],
    ['', true],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" ${expected ? 'matches' : 'does not match'}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected);
    });
  }

  it('rejects malformed selectors with a message naming the selector', () => {
    for (const bad of ['app=we b', 'app in (a', '=x', 'a,,b', 'Bad Key=1', 'version>x']) {
      assert.throws(() => parseLabelSelector(bad), (err: unknown) => err instanceof SelectorError && err.message.includes('unable to parse requirement'), bad);
    }
  });

  it('renders LabelSelector objects as the Scale subresource does', () => {
    assert.equal(
      labelSelectorString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['x', 'y'] }, { key: 'd', operator: 'DoesNotExist' }] }),
      'a=1,b=2,c in (x,y),!d',
    );
  });
});

describe('field selectors', () => {
  const obj = { metadata: { name: 'web', namespace: 'shop' }, type: 'Opaque' };

  it('matches metadata.name and metadata.namespace with =, == and !=', () => {
    assert.equal(matchesFields(parseFieldSelector('metadata.name=web', 'ConfigMap'), obj), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.name==web,metadata.namespace=shop', 'ConfigMap'), obj), true);
    assert.equal(matchesFields(parseFieldSelector('metadata.namespace!=shop', 'ConfigMap'), obj), false);
    assert.equal(matchesFields(parseFieldSelector('metadata.name!=api', 'ConfigMap'), obj), true);
  });

  it('supports kind-specific fields and refuses unknown ones', () => {
    assert.equal(matchesFields(parseFieldSelector('type=Opaque', 'Secret'), obj), true);
    assert.throws(() => parseFieldSelector('type=Opaque', 'ConfigMap'), /field label not supported: type/);
    assert.throws(() => parseFieldSelector('metadata.name', 'ConfigMap'), SelectorError);
  });
});
