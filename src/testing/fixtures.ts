/** Per-test fixtures (test-runner neutral): a unique root path, tree listing/cleanup, leak assertions, polling, a shared server. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sleep } from './net-util.js';
import { withBareClient, zkCode, ZkCode, type BareClient } from './zk-client.js';
import { ensureZooKeeper, externalHosts, startStandalone, type ZkServer } from './zk-server.js';

/** Parent of every test root. */
export const TEST_ROOT_PARENT = '/zoosync-test';

/** A unique root path for one test: /zoosync-test/<sanitized test name>-<6 hex>. */
export function zkTestRoot(t: { name: string } | string): string {
  const name = typeof t === 'string' ? t : t.name;
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 60) || 'test';
  return `${TEST_ROOT_PARENT}/${safe}-${randomBytes(3).toString('hex')}`;
}

async function children(c: BareClient, path: string): Promise<string[]> {
  try {
    return (await c.getChildren(path)).sort();
  } catch (err) {
    if (zkCode(err) === ZkCode.NO_NODE) return [];
    throw err;
  }
}

async function walk(c: BareClient, root: string, out: string[]): Promise<void> {
  for (const name of await children(c, root)) {
    const p = root === '/' ? `/${name}` : `${root}/${name}`;
    out.push(p);
    await walk(c, p, out);
  }
}

/** Every descendant path of root (root excluded), depth-first pre-order, children sorted; [] if root is absent. */
export async function listTree(connectString: string, root: string): Promise<string[]> {
  return withBareClient(connectString, async (c) => {
    const out: string[] = [];
    await walk(c, root, out);
    return out;
  });
}

/** Deletes root and everything below it (retrying if nodes appear meanwhile); absent root is fine. */
export async function deleteTree(connectString: string, root: string): Promise<void> {
  await withBareClient(connectString, async (c) => {
    for (let attempt = 1; ; attempt++) {
      const paths: string[] = [];
      await walk(c, root, paths);
      if (root !== '/') paths.unshift(root);
      try {
        for (const p of paths.reverse()) {
          try {
            await c.remove(p);
          } catch (err) {
            if (zkCode(err) !== ZkCode.NO_NODE) throw err;
          }
        }
        return;
      } catch (err) {
        if (zkCode(err) !== ZkCode.NOT_EMPTY || attempt >= 5) throw err;
        await sleep(50);
      }
    }
  });
}

/** Asserts nothing is left under root (root itself and `allow`ed paths excepted), then deletes the tree. */
export async function assertNoNodesLeft(
  connectString: string,
  root: string,
  allow?: (path: string) => boolean,
): Promise<void> {
  let left: string[];
  try {
    left = (await listTree(connectString, root)).filter((p) => !allow?.(p));
  } finally {
    await deleteTree(connectString, root);
  }
  assert.deepEqual(left, [], `nodes left under ${root}:\n  ${left.join('\n  ')}`);
}

/** Options for waitFor(). */
export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  message?: string;
}

/** Polls cond every intervalMs until it is true; rejects after timeoutMs with message. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 10, message = 'condition' }: WaitForOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms: ${message}`);
    await sleep(intervalMs);
  }
}

let shared: Promise<ZkServer> | undefined;

/** ZK_HOSTS when set, else one standalone server per test process, started lazily; stopAll() stops it. */
export async function sharedServer(): Promise<{ connectString: string; server?: ZkServer }> {
  const ext = externalHosts();
  if (ext) return { connectString: ext };
  if (shared) {
    const s = await shared.catch(() => undefined);
    if (!s || s.isStopped) shared = undefined;
  }
  shared ??= ensureZooKeeper().then(() => startStandalone());
  const server = await shared;
  if (server.pid === undefined) await server.restart(); // a test killed it: bring it back
  return { connectString: server.connectString, server };
}

/** A unique recipe id for one test: `<name>-<6 hex>`. */
export const uniqueId = (name: string): string => `${name}-${randomBytes(3).toString('hex')}`;

/** Rejects if `p` has not settled within `ms`; clears its timer either way. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
