/**
 * Recording what a process believes: recordHold() logs into a History that a worker holds a lock
 * (or leads) from now until it says it let go or the handle's signal says it was lost, which is
 * what checkHistory() compares across workers. Takes zoosync's Lock and Leader handles, or
 * anything with a `fencingToken` and a `signal`.
 */
import { InvalidArgumentError } from '../errors.js';
import { nonEmptyString } from './args.js';
import { History, now } from './history.js';

/** What recordHold() needs of a held lock or leadership (zoosync's `Lock`, `Leader`, `MultiLock` have both). */
export interface HeldLike {
  readonly fencingToken: bigint;
  readonly signal: AbortSignal;
}

/** One recorded hold; end it with released() once the worker no longer acts as holder. */
export interface HoldRecord {
  /** The worker's operation number for this hold (1, 2, …), as it appears in the history. */
  readonly op: number;
  /** Records that the worker let go (before `unlock()`/`resign()`); later calls, and calls after a loss, do nothing. */
  released(): void;
}

const opCounters = new WeakMap<History, Map<string, number>>();

function nextOp(history: History, worker: string): number {
  let counters = opCounters.get(history);
  if (!counters) opCounters.set(history, (counters = new Map<string, number>()));
  const op = (counters.get(worker) ?? 0) + 1;
  counters.set(worker, op);
  return op;
}

/** Records in `history` that `worker` holds `held` ('lock') or leads with it ('leader') from now on. */
export function recordHold(history: History, worker: string, held: HeldLike, kind: 'lock' | 'leader' = 'lock'): HoldRecord {
  if (!(history instanceof History)) throw new InvalidArgumentError('history', 'must be a History from zoosync/testing');
  nonEmptyString(worker, 'worker');
  if (typeof held?.fencingToken !== 'bigint') throw new InvalidArgumentError('held.fencingToken', 'must be a bigint (a Lock or Leader handle)');
  if (!(held.signal instanceof AbortSignal)) throw new InvalidArgumentError('held.signal', 'must be an AbortSignal (a Lock or Leader handle)');
  if (kind !== 'lock' && kind !== 'leader') throw new InvalidArgumentError('kind', `must be 'lock' or 'leader' (got ${String(kind)})`);
  const op = nextOp(history, worker);
  const token = String(held.fencingToken);
  // One critical section per history: every lock hold is compared with every other (a seeded bug
  // that takes a different lock per worker must show as an overlap), and so is every leadership.
  const key = kind;
  history.event(
    worker,
    kind === 'lock' ? { kind: 'acquired', op, key, recipe: 'region-lock', token, t: now() } : { kind: 'elected', op, key, recipe: 'region-leader', token, t: now() },
  );
  let open = true;
  const end = (reason: string | undefined): void => {
    if (!open) return;
    open = false;
    held.signal.removeEventListener('abort', onAbort);
    if (kind === 'leader') history.event(worker, { kind: 'rescinded', op, reason: reason ?? 'resigned', t: now() });
    else if (reason === undefined) history.event(worker, { kind: 'released', op, t: now() });
    else history.event(worker, { kind: 'lost', op, reason, t: now() });
  };
  const onAbort = (): void => {
    const r: unknown = held.signal.reason;
    end(r instanceof Error ? r.name : String(r));
  };
  if (held.signal.aborted) onAbort();
  else held.signal.addEventListener('abort', onAbort, { once: true });
  return { op, released: () => end(undefined) };
}
