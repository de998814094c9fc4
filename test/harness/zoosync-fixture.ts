/**
 * The per-test fixture for zoosync tests: a fresh root node, a chrooted connect string so every
 * recipe path (`/sync/regionlock/...`, `/sync/regionleader/...`) lands under it, sessions that are
 * closed at the end, and the leak check.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { TestContext } from 'node:test';
import { NoNodeError, Session } from '../../src/index.js';
import type { SessionOptions } from '../../src/index.js';
import { isEmptyLockParent } from '../../src/testing/test-root.js';
import { assertNoNodesLeft, waitFor, zkTestRoot } from './fixtures.js';
import { withBareClient } from './zk-client.js';

/** What a test works with. */
export interface TestEnv {
  /** The root path of this test on the server. */
  root: string;
  /** `connectString` + root: the hosts to give sessions of this test. */
  hosts: string;
  /** A new Session on this test's root, closed by `finish()`. */
  session(options?: SessionOptions): Session;
  /** Closes the sessions and asserts no node is left (lock parents awaiting the reaper are allowed unless `strict`). */
  finish(options?: { strict?: boolean; allow?: (path: string) => boolean }): Promise<void>;
}

export { isEmptyLockParent } from '../../src/testing/test-root.js';

/** Creates this test's root under `connectString` and returns its environment. */
export async function testEnv(t: TestContext | string, connectString: string): Promise<TestEnv> {
  const root = zkTestRoot(t);
  await withBareClient(connectString, (c) => c.mkdirp(root));
  const hosts = `${connectString.split('/')[0]}${root}`;
  const sessions: Session[] = [];
  return {
    root,
    hosts,
    session(options = {}) {
      const s = new Session({ sessionTimeoutMs: 4000, connectTimeoutMs: 10_000, ...options, hosts: options.hosts ?? hosts });
      sessions.push(s);
      return s;
    },
    async finish(options = {}) {
      await Promise.all(sessions.map((s) => s.close()));
      const allowParents = options.strict ? () => false : isEmptyLockParent(root);
      await assertNoNodesLeft(connectString, root, (p) => allowParents(p) || (options.allow?.(p) ?? false));
    },
  };
}

/** Deletes everything below `path` through `session`, whose identity may delete what an open client may not (creator-only ACLs). */
export async function removeTreeAs(session: Session, path: string): Promise<void> {
  const children = await session.request({ op: 'getChildren', path }).catch(() => [] as string[]);
  for (const child of children) {
    const p = path === '/' ? `/${child}` : `${path}/${child}`;
    await removeTreeAs(session, p);
    await session.request({ op: 'delete', path: p }).catch(() => undefined);
  }
}

/** Children of a node (a lock parent) as seen by `session`, sorted; [] when it is absent. */
export async function childrenOf(session: Session, parent: string): Promise<string[]> {
  try {
    return (await session.request({ op: 'getChildren', path: parent })).sort();
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Resolves once `parent` has exactly `n` children (20 s at most). */
export async function untilChildren(session: Session, parent: string, n: number): Promise<void> {
  await waitFor(async () => (await childrenOf(session, parent)).length === n, { timeoutMs: 20_000, message: `${parent} to have ${n} children` });
}

/** One `zoosync:contender.wake` event: a waiter woke, and why. */
export interface WakeEvent {
  path: string;
  predecessor: string;
  cause: string;
}

/** Collects `zoosync:contender.wake` events under `parent` until the returned stop() is called. */
export function recordWakes(parent: string): { events: WakeEvent[]; stop: () => void } {
  const events: WakeEvent[] = [];
  const onWake = (message: unknown): void => {
    const m = message as WakeEvent;
    if (m.path.startsWith(`${parent}/`)) events.push(m);
  };
  subscribe('zoosync:contender.wake', onWake);
  return { events, stop: () => unsubscribe('zoosync:contender.wake', onWake) };
}
