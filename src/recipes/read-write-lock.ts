/**
 * The read-write lock (Curator's `InterProcessReadWriteLock`, in its node layout: `__READ__<seq>`
 * and `__WRIT__<seq>` under one parent): many readers or one writer, first come first served. A
 * writer holds when it is lowest and watches its predecessor; a reader holds when no writer is
 * before it and watches only the nearest earlier writer. No re-entrance, so no downgrade: a
 * write lock is never granted while any read lock before it is held. Each hold is a `Lock`.
 */
import createDebug from 'debug';
import { parseReadWriteName } from '../wire/node-name.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';
import { contend, type TurnPolicy } from './contender.js';
import { Lock, leasePolicy } from './lock.js';

const log = createDebug('zoosync:rwlock');

/** Which side of the lock a contender is on. */
export type LockMode = 'read' | 'write';

/** Curator's node name prefixes (`READ_LOCK_NAME`, `WRITE_LOCK_NAME`). */
const PREFIX: Record<LockMode, string> = { read: '__READ__', write: '__WRIT__' };

/** What `acquireReadWrite` needs; the public functions fill in the defaults. */
export interface ReadWriteOptions {
  session: Session;
  /** The lock's parent node, e.g. `/sync/rwlock/catalog`. */
  path: string;
  mode: LockMode;
  waitForMs: number;
  holdForMs: number;
  minHoldForMs: number;
  signal?: AbortSignal | undefined;
  acl?: readonly ResolvedAclEntry[] | undefined;
}

/** The read-write nodes among `children`, ascending by sequence (ties by name). */
function orderReadWrite(children: readonly string[]): string[] {
  const parsed: Array<{ name: string; seq: number }> = [];
  for (const name of children) {
    const p = parseReadWriteName(name);
    if (p) parsed.push({ name, seq: p.seq });
  }
  parsed.sort((a, b) => a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return parsed.map((p) => p.name);
}

const isWriter = (name: string): boolean => parseReadWriteName(name)?.kind === 'write';

/** Writers: the lowest holds, each waits on its predecessor. Readers: hold with no writer before them, else wait on the nearest earlier writer. */
export function readWritePolicy(mode: LockMode): TurnPolicy {
  if (mode === 'write') {
    return {
      order: orderReadWrite,
      turn: (ordered, index) => (index === 0 ? { hold: true } : { hold: false, watch: ordered[index - 1]!, last: index === 1 }),
    };
  }
  return {
    order: orderReadWrite,
    turn: (ordered, index) => {
      const writers: number[] = [];
      for (let i = 0; i < index; i++) if (isWriter(ordered[i]!)) writers.push(i);
      if (writers.length === 0) return { hold: true };
      return { hold: false, watch: ordered[writers[writers.length - 1]!]!, last: writers.length === 1 };
    },
  };
}

/** Acquires the read or the write side of the lock at `opts.path` (Curator `readLock().acquire()` / `writeLock().acquire()`). */
export async function acquireReadWrite(opts: ReadWriteOptions): Promise<Lock> {
  const pos = await contend({
    session: opts.session,
    parent: opts.path,
    prefix: PREFIX[opts.mode],
    deadline: performance.now() + opts.waitForMs,
    waitForMs: opts.waitForMs,
    signal: opts.signal,
    lease: leasePolicy(opts.holdForMs),
    policy: readWritePolicy(opts.mode),
    acl: opts.acl,
    log,
  });
  log('acquired the %s side of %s: %s', opts.mode, opts.path, pos.node.path);
  return new Lock(pos, opts);
}
