/**
 * Fault scenarios shared by the recipes' fault tests: a holder behind a broken network is told
 * (its signal aborts) before a waiter on a healthy connection gets in.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { LockLostError, type Lock, type Session } from '../../src/index.js';
import { startProxy, waitFor, type TcpProxy, type ZkServer } from '../harness/index.js';
import { testEnv } from '../harness/zoosync-fixture.js';

/** How one recipe holds, waits and shows a queued waiter. */
export interface HoldAndWait {
  /** Takes the hold the fault will break (through the proxy's session). */
  hold(session: Session): Promise<Lock>;
  /** Asks for what the holder has (on the direct session); must wait while the hold lasts. */
  wait(session: Session): Promise<Lock>;
  /** True once the waiter is queued (its node exists). */
  queued(session: Session): Promise<boolean>;
  /** Nodes the leak check may find left, empty (parents the reaper or the server removes later). */
  allow?: (root: string) => (path: string) => boolean;
}

/** Holder through a proxy, waiter direct; `fault` breaks the proxy; asserts the holder was told before the waiter got in. */
export async function holderBehindFault(t: TestContext, zk: ZkServer, sessionTimeoutMs: number, recipe: HoldAndWait, fault: (p: TcpProxy) => void): Promise<void> {
  const env = await testEnv(t, zk.connectString);
  const proxy = await startProxy(zk.connectString);
  const locks: Lock[] = [];
  try {
    const viaProxy = env.session({ hosts: `${proxy.connectString}${env.root}`, sessionTimeoutMs });
    const direct = env.session({ sessionTimeoutMs });
    const holder = await recipe.hold(viaProxy);
    locks.push(holder);
    let holderToldAt: number | undefined;
    holder.signal.addEventListener('abort', () => (holderToldAt = performance.now()), { once: true });
    const waiting = recipe.wait(direct);
    waiting.then((l) => locks.push(l), () => undefined);
    await waitFor(() => recipe.queued(direct), { timeoutMs: 10_000, message: 'waiter queued' });
    const faultAt = performance.now();
    fault(proxy);
    const second = await waiting;
    const acquiredAt = performance.now();
    t.diagnostic(
      `holder told ${holderToldAt === undefined ? 'never' : `${(holderToldAt - faultAt).toFixed(0)} ms`} after the fault; ` +
        `waiter acquired ${(acquiredAt - faultAt).toFixed(0)} ms after the fault`,
    );
    assert.ok(holderToldAt !== undefined, 'the holder was never told it lost its hold');
    assert.ok(holder.signal.reason instanceof LockLostError, String(holder.signal.reason));
    assert.ok(holderToldAt < acquiredAt, 'the waiter got in before the holder was told: two holders at once');
    assert.ok(second.fencingToken > holder.fencingToken);
    assert.equal(second.signal.aborted, false);
    await second.unlock();
    await holder.unlock(); // resolves although its session is gone
  } finally {
    proxy.pass();
    await Promise.allSettled(locks.map((l) => l.unlock()));
    await proxy.close();
    await env.finish(recipe.allow ? { allow: recipe.allow(env.root) } : {});
  }
}
