/**
 * The counting semaphore (Curator's `InterProcessSemaphoreV2`, in its node layout): a mutex under
 * `<path>/locks` lets one waiter at a time make its lease node under `<path>/leases` and wait there,
 * alone, until at most `permits` leases exist. So waiting is herd-free (mutex waiters watch their
 * predecessor; only the mutex holder watches the leases) and first come, first served. A lease is
 * a `Lock` on its own node: the same deadline, signal, fencing token and release.
 */
import createDebug from 'debug';
import { LockTimeoutError, ZoosyncError } from '../errors.js';
import { sortBySequence } from '../wire/node-name.js';
import { deleteUntilGone } from '../zk/protected-create.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { contend, type TurnPolicy } from './contender.js';
import { Lock, leasePolicy } from './lock.js';

const log = createDebug('zoosync:semaphore');

/** Most permits a semaphore may have: the mutex holder reads each lease's deadline once. */
export const MAX_SEMAPHORE_PERMITS = 10_000;

/** Curator's names: the mutex parent, the lease parent, and a lease node's prefix. */
const LOCKS = 'locks';
const LEASES = 'leases';

/** What `acquirePermit` needs; the public function fills in the defaults. */
export interface PermitOptions {
  session: Session;
  /** The semaphore's node, e.g. `/sync/semaphore/exports`. */
  path: string;
  permits: number;
  waitForMs: number;
  holdForMs: number;
  minHoldForMs: number;
  signal?: AbortSignal | undefined;
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/** Holds when at most `permits` leases exist, counting every child as Curator does; otherwise waits for any of them to go. */
export function semaphorePolicy(permits: number): TurnPolicy {
  return {
    order: (children) => {
      const sequenced = sortBySequence(children);
      const known = new Set(sequenced);
      return [...sequenced, ...children.filter((c) => !known.has(c))];
    },
    turn: (ordered) => (ordered.length <= permits ? { hold: true } : { hold: false, watchChildren: true }),
  };
}

/** Acquires one permit of the semaphore at `opts.path`, resolving with its lease (Curator `InterProcessSemaphoreV2.acquire`). */
export async function acquirePermit(opts: PermitOptions): Promise<Lock> {
  const started = performance.now();
  const deadline = started + opts.waitForMs;
  const common = { session: opts.session, deadline, waitForMs: opts.waitForMs, signal: opts.signal, acl: opts.acl, containerParents: true, log };
  try {
    for (;;) {
      const mutex = await contend({ ...common, parent: `${opts.path}/${LOCKS}`, prefix: 'lock-' });
      mutex.guard.stop();
      try {
        const lease = await contend({
          ...common,
          parent: `${opts.path}/${LEASES}`,
          prefix: 'lease-',
          lease: leasePolicy(opts.holdForMs),
          policy: semaphorePolicy(opts.permits),
          connection: mutex.conn,
        });
        log('acquired a permit of %s: %s', opts.path, lease.node.path);
        return new Lock(lease, opts);
      } catch (error) {
        // Our mutex went with its connection: start over on the next one, within the wait limit.
        if (error instanceof ZoosyncError && error.retryable && !(error instanceof LockTimeoutError) && performance.now() < deadline) continue;
        throw error;
      } finally {
        // The next waiter may go as soon as our mutex node is gone; our lease no longer needs it.
        void deleteUntilGone(mutex.conn, mutex.node.path).catch(() => undefined);
      }
    }
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw new LockTimeoutError(opts.path, opts.waitForMs, { cause: error.cause, ...(error.unreachable ? { unreachable: error.unreachable } : {}) });
    }
    throw error;
  }
}
