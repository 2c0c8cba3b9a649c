import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editVersionFile, loadEnvironment, memoryReader, readVersionLines, VersionFileEditError } from './index.js';
import { baseRepo } from './testdata/repos.js';

const FILE = 'versions/prod.yaml';
const PROD = '# Versions running at stage prod.\ncart: 1.3.2   # held for the sale\n\nshipping: 2.2.0\npayment: "3.0.4"\n';

/** The lines of `after` that differ from `before`, as a unified-diff-like list. */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  return [...a.filter((l) => !b.includes(l)).map((l) => `-${l}`), ...b.filter((l) => !a.includes(l)).map((l) => `+${l}`)];
}

describe('editVersionFile', () => {
  it('changes exactly the line of the component, keeping its comment, the others, blank lines and order', () => {
    const edited = editVersionFile(PROD, [{ component: 'cart', version: '1.4.0' }], FILE);
    assert.equal(edited.text, PROD.replace('cart: 1.3.2', 'cart: 1.4.0'));
    assert.deepEqual(changedLines(PROD, edited.text), ['-cart: 1.3.2   # held for the sale', '+cart: 1.4.0   # held for the sale']);
    assert.deepEqual(edited.changed, ['cart']);
    assert.equal(edited.entryCount, 3);
  });

  it('keeps the quoting of a quoted version', () => {
    const edited = editVersionFile(PROD, [{ component: 'payment', version: '3.1.0' }], FILE);
    assert.deepEqual(changedLines(PROD, edited.text), ['-payment: "3.0.4"', '+payment: "3.1.0"']);
    assert.equal(readVersionLines(edited.text, FILE).get('payment'), '3.1.0');
  });

  it('edits several components at once, one line each', () => {
    const edited = editVersionFile(PROD, [{ component: 'cart', version: '1.4.0' }, { component: 'shipping', version: '2.2.1' }], FILE);
    assert.equal(changedLines(PROD, edited.text).length, 4);
    assert.deepEqual(edited.changed, ['cart', 'shipping']);
  });

  it('appends a missing component as a new last line', () => {
    const edited = editVersionFile(PROD, [{ component: 'search', version: '0.1.0' }], FILE);
    assert.equal(edited.text, `${PROD}search: 0.1.0\n`);
    assert.equal(edited.entryCount, 4);
  });

  it('creates a file that does not exist yet, and keeps a missing final newline missing', () => {
    assert.equal(editVersionFile(undefined, [{ component: 'cart', version: '1.4.0' }], FILE).text, 'cart: 1.4.0\n');
    assert.equal(editVersionFile('cart: 1.0.0', [{ component: 'cart', version: '1.1.0' }], FILE).text, 'cart: 1.1.0');
  });

  it('keeps CRLF line endings', () => {
    const edited = editVersionFile('# prod\r\ncart: 1.0.0\r\n', [{ component: 'cart', version: '1.1.0' }, { component: 'payment', version: '2.0.0' }], FILE);
    assert.equal(edited.text, '# prod\r\ncart: 1.1.0\r\npayment: 2.0.0\r\n');
  });

  it('changes nothing when the component is already at that version', () => {
    const edited = editVersionFile(PROD, [{ component: 'cart', version: '1.3.2' }], FILE);
    assert.equal(edited.text, PROD);
    assert.deepEqual(edited.changed, []);
  });

  it('removes pin lines, keeping the comments, and says when no entry is left', () => {
    const pins = '# Pins for prod-us only.\npayment: 3.0.3\ncart: 1.4.0\n';
    const one = editVersionFile(pins, [{ component: 'cart', version: null }], 'versions/clusters/prod-us.yaml');
    assert.equal(one.text, '# Pins for prod-us only.\npayment: 3.0.3\n');
    assert.equal(one.entryCount, 1);
    const none = editVersionFile(one.text, [{ component: 'payment', version: null }, { component: 'shipping', version: null }], 'versions/clusters/prod-us.yaml');
    assert.equal(none.text, '# Pins for prod-us only.\n');
    assert.deepEqual(none.changed, ['payment']);
    assert.equal(none.entryCount, 0);
    assert.equal(editVersionFile('cart: 1.0.0\n', [{ component: 'cart', version: null }], 'x.yaml').text, '');
  });

  it('gives what the environment loader reads', async () => {
    const files = baseRepo();
    const before = String(files['versions/prod.yaml']);
    const edited = editVersionFile(before, [{ component: 'cart', version: '9.9.9' }], FILE);
    const model = await loadEnvironment(memoryReader({ ...files, [FILE]: edited.text }));
    const entry = model.stageVersions.get('prod')?.entries.get('cart');
    assert.ok(entry && !(entry instanceof Error));
    assert.equal(entry.version, '9.9.9');
  });

  it('refuses a malformed version and a file it cannot edit line by line, naming the file and line', () => {
    assert.throws(() => editVersionFile(PROD, [{ component: 'cart', version: '1.4.0 beta' }], FILE), (err: Error) => err instanceof VersionFileEditError && /versions\/prod.yaml: version "1.4.0 beta" of cart is not valid/.test(err.message));
    assert.throws(() => editVersionFile(PROD, [{ component: 'Cart', version: '1.4.0' }], FILE), /"Cart" is not a component name/);
    assert.throws(() => editVersionFile('{ cart: 1.0.0 }\n', [{ component: 'cart', version: '1.4.0' }], FILE), /versions\/prod.yaml:1: "\{ cart: 1.0.0 \}" is not a "component: version" line/);
    assert.throws(() => editVersionFile('cart:\n  version: 1.0.0\n', [{ component: 'cart', version: '1.4.0' }], FILE), /versions\/prod.yaml:1: "cart:" is not/);
    assert.throws(() => editVersionFile('cart: 1\ncart: 2\n', [{ component: 'cart', version: '1.4.0' }], FILE), /versions\/prod.yaml:2: component cart appears twice/);
    assert.throws(() => editVersionFile(PROD, [{ component: 'cart', version: '1' }, { component: 'cart', version: '2' }], FILE), /cart is edited twice/);
  });
});
