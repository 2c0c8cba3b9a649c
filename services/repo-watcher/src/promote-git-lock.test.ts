import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GitMirror } from '@driftless/git';
import { withExclusiveNetwork } from './promote-git-lock.js';

describe('withExclusiveNetwork', () => {
  it('starts a push only after the fetch in progress ended, even a failed one, and leaves reads alone', async () => {
    const started: string[] = [];
    let endFetch: (ok: boolean) => void = () => undefined;
    const fake = {
      path: '/m.git',
      fetch: () => {
        started.push('fetch');
        return new Promise<void>((resolve, reject) => (endFetch = (ok) => (ok ? resolve() : reject(new Error('fetch failed')))));
      },
      commitFilesAndPush: () => {
        started.push('push');
        return Promise.resolve('b'.repeat(40));
      },
      resolveBranch: () => {
        started.push('resolve');
        return Promise.resolve('a'.repeat(40));
      },
    } as unknown as GitMirror;
    const mirror = withExclusiveNetwork(fake);
    const fetching = mirror.fetch({ timeoutMs: 1000 });
    const pushing = mirror.commitFilesAndPush({ branch: 'main', changes: [], message: 'm', author: { name: 'a', email: 'a@x' }, committer: { name: 'a', email: 'a@x' } }, { timeoutMs: 1000 });
    await mirror.resolveBranch('main');
    await new Promise((resolve) => setImmediate(resolve));
    // The read did not wait; the push did.
    assert.deepEqual([...started].sort(), ['fetch', 'resolve']);
    endFetch(false);
    await assert.rejects(fetching, /fetch failed/);
    assert.equal(await pushing, 'b'.repeat(40));
    assert.equal(started.at(-1), 'push');
    assert.equal(mirror.path, '/m.git');
  });
});
