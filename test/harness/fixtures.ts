/** node:test-specific fixtures; the runner-neutral ones live in src/testing/fixtures.ts. */
import type { TestContext } from 'node:test';
import { externalHosts } from '../../src/testing/zk-install.js';

export * from '../../src/testing/fixtures.js';

/** True unless ZK_HOSTS is set, in which case it skips `t`: for tests that must start (or kill) servers of their own. */
export function needsOwnServers(t: TestContext): boolean {
  if (!externalHosts()) return true;
  t.skip('needs a harness-started server');
  return false;
}
