import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { href, parseRoute } from './route.js';

describe('routes', () => {
  it('parses every page and round-trips the links', () => {
    assert.equal(parseRoute('/ui/').page, 'fleet');
    assert.deepEqual(parseRoute(href.component('cart')), { page: 'component', name: 'cart' });
    assert.deepEqual(parseRoute(href.cluster('prod-eu')), { page: 'cluster', name: 'prod-eu' });
    assert.deepEqual(parseRoute(href.commit('abc123')), { page: 'commit', sha: 'abc123' });
    assert.deepEqual(parseRoute(href.promotions()), { page: 'promotions' });
    assert.deepEqual(parseRoute(href.promotion('pr_3f2c')), { page: 'promotion', id: 'pr_3f2c' });
    const ledger = parseRoute('/ui/ledger', '?cluster=dev-1&kind=applied');
    assert.equal(ledger.page, 'ledger');
    assert.equal(ledger.page === 'ledger' && ledger.query.get('cluster'), 'dev-1');
    assert.equal(parseRoute('/ui/sign-in').page, 'sign-in');
    assert.equal(parseRoute('/ui/clusters').page, 'not-found');
    assert.equal(href.ledger({ cluster: 'a', component: '' }), '/ui/ledger?cluster=a');
  });
});
