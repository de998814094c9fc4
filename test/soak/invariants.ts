/**
 * What the soak's load checks as it runs, in one process with one clock: never two live holders
 * of one lock or one leadership, fencing tokens strictly increasing per lock and per election, no
 * error that is not a zoosync error, and every operation settled.
 */
import { ZoosyncError } from '../../src/index.js';

/** Something that holds a lock or a leadership, asked by its own clock whether it still does. */
export interface Holding {
  readonly token: bigint;
  live(): boolean;
}

/** The in-process referee: holders per resource, last tokens, violations, and operations in flight. */
export class Referee {
  /** Every violation seen, as a line each. */
  readonly violations: string[] = [];
  private readonly holders = new Map<string, Set<Holding>>();
  private readonly lastToken = new Map<string, bigint>();
  private readonly inFlight = new Map<symbol, { what: string; since: number }>();
  /** Outcomes by kind ("lock ok", "lock LockTimeoutError", ...). */
  readonly counts = new Map<string, number>();

  /** Records that `h` now holds `resource`; a violation if another holder still says it holds it, or its token is not newer. */
  enter(resource: string, h: Holding): void {
    const set = this.holders.get(resource) ?? new Set<Holding>();
    this.holders.set(resource, set);
    for (const other of set) {
      if (other.live()) this.violations.push(`${new Date().toISOString()} two live holders of ${resource}: tokens ${other.token} and ${h.token}`);
    }
    const last = this.lastToken.get(resource);
    if (last !== undefined && h.token <= last) {
      this.violations.push(`${new Date().toISOString()} fencing token of ${resource} went from ${last} to ${h.token}`);
    }
    this.lastToken.set(resource, h.token);
    set.add(h);
  }

  /** `h` no longer holds `resource` (it unlocked or rescinded). */
  leave(resource: string, h: Holding): void {
    this.holders.get(resource)?.delete(h);
  }

  /** Counts an outcome of kind `what`. */
  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  /**
   * Runs `op`, counting its outcome; an error that is not a ZoosyncError (or an abort) is a
   * violation. Never rejects. Unless `longLived` (a `lead` loop), `op` counts as in flight until it settles.
   */
  async run(what: string, op: () => Promise<unknown>, longLived = false): Promise<boolean> {
    const key = Symbol(what);
    if (!longLived) this.inFlight.set(key, { what, since: performance.now() });
    try {
      await op();
      this.count(`${what} ok`);
      return true;
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      this.count(`${what} ${name}`);
      if (!(error instanceof ZoosyncError) && !(error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) {
        this.violations.push(`${new Date().toISOString()} ${what} failed with a non-zoosync error: ${(error as Error)?.stack ?? String(error)}`);
      }
      return false;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Operations in flight now, and those of them running for longer than `olderThanMs`. */
  unsettled(olderThanMs: number): { inFlight: number; stuck: string[] } {
    const t = performance.now();
    const stuck = [...this.inFlight.values()].filter((o) => t - o.since > olderThanMs).map((o) => `${o.what} for ${Math.round(t - o.since)} ms`);
    return { inFlight: this.inFlight.size, stuck };
  }
}
