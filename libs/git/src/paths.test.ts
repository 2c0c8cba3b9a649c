import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeRepoPath, splitRepoPath, UnsafePathError } from './index.js';

describe('repository paths', () => {
  it('normalizes ./, doubled and trailing slashes; the root is empty', () => {
    assert.equal(normalizeRepoPath('./components//cart/'), 'components/cart');
    assert.deepEqual(splitRepoPath(''), []);
    assert.deepEqual(splitRepoPath('.'), []);
  });

  it('refuses paths that leave the repository, absolute paths and NUL bytes', () => {
    assert.throws(() => splitRepoPath('components/../../etc/passwd'), (err: Error) => err instanceof UnsafePathError && /"\.\."/.test(err.message));
    assert.throws(() => splitRepoPath('/etc/passwd'), /absolute paths are not allowed/);
    assert.throws(() => splitRepoPath('a\0b'), /NUL/);
  });
});
