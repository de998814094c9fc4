/**
 * Deletes empty lock parents (Go's region-lock `reaper`, after Curator's `Reaper`): every sweep
 * looks at the parents this process has locked; one seen empty on two sweeps in a row is deleted.
 * ZooKeeper refuses to delete a parent that has children, so a parent in use is never removed.
 */
import createDebug from 'debug';
import { NoNodeError, NotEmptyError } from '../errors.js';
import type { Session } from '../zk/session.js';

const debug = createDebug('zoosync:reaper');

/** Sweeps seen empty before a parent is deleted (Go `reaperThreshold`). */
export const REAP_THRESHOLD = 2;
/** Default sweep interval (Go `defaultReapTime`). */
export const DEFAULT_REAP_INTERVAL_MS = 10_000;

/** The reaper of one session. */
export class Reaper {
  private readonly paths = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly session: Session,
    private intervalMs: number = DEFAULT_REAP_INTERVAL_MS,
  ) {
    session.once('closed', () => this.stop());
  }

  /** Paths currently tracked, with how many sweeps in a row each was seen empty. */
  get tracked(): ReadonlyMap<string, number> {
    return this.paths;
  }

  /** Tracks `path` (or resets its count) and makes sure sweeps are scheduled. */
  add(path: string): void {
    if (this.session.state === 'closed') return;
    this.paths.set(path, 0);
    if (!this.timer) {
      this.timer = setInterval(() => void this.sweep(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Changes the sweep interval. */
  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.paths.size > 0) this.add([...this.paths.keys()][0]!);
    }
  }

  /** Runs one sweep now (tests and shutdown use it); concurrent calls share one sweep. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Stops sweeping. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sweepOnce(): Promise<void> {
    const conn = this.session.current;
    if (!conn || conn.state !== 'connected') return;
    const paths = [...this.paths.keys()];
    const stats = await Promise.allSettled(paths.map((path) => conn.request({ op: 'exists', path })));
    const doomed: string[] = [];
    stats.forEach((r, i) => {
      const path = paths[i]!;
      if (r.status === 'rejected' || (r.value !== null && r.value.numChildren > 0)) {
        this.paths.set(path, 0);
        return;
      }
      const n = (this.paths.get(path) ?? 0) + 1;
      this.paths.set(path, n);
      if (n >= REAP_THRESHOLD) doomed.push(path);
    });
    await Promise.all(
      doomed.map(async (path) => {
        try {
          await conn.request({ op: 'delete', path });
          debug('reaped %s', path);
        } catch (error) {
          if (!(error instanceof NoNodeError)) {
            if (!(error instanceof NotEmptyError)) debug('could not reap %s: %s', path, (error as Error).message);
            this.paths.set(path, 0);
            return;
          }
        }
        if ((this.paths.get(path) ?? 0) >= REAP_THRESHOLD) this.paths.delete(path);
      }),
    );
    if (this.paths.size === 0) this.stop();
  }
}

const reapers = new WeakMap<Session, Reaper>();
let defaultInterval = DEFAULT_REAP_INTERVAL_MS;

/** The reaper of `session`, created on first use. */
export function reaperFor(session: Session): Reaper {
  let r = reapers.get(session);
  if (!r) {
    r = new Reaper(session, defaultInterval);
    reapers.set(session, r);
  }
  return r;
}

/** Sets the sweep interval of reapers created from now on (and of `session`'s, if given). */
export function setReapInterval(intervalMs: number, session?: Session): void {
  defaultInterval = intervalMs;
  if (session) reaperFor(session).setInterval(intervalMs);
}
