/**
 * The requests a connection has in flight, each settled exactly once: by its reply, by the end
 * of the session, or as a connection loss when it went unanswered for the read timeout (its bytes
 * were lost, or node-zookeeper-client dropped it on a reply mismatch without calling back).
 */
import { ConnectionLossError } from '../errors.js';

/** The in-flight requests of one connection. */
export class PendingRequests {
  /** How to fail each request, and when it was queued (performance.now()). */
  private readonly fails = new Map<(error: Error) => void, number>();
  /** When the last reply to a request arrived (performance.now()). */
  private lastReplyAt = 0;

  /** Tracks a request: returns its `settle` for the reply and registers how to fail it otherwise. */
  add<T>(resolve: (value: T) => void, reject: (error: unknown) => void): (outcome: () => T) => void {
    let settled = false;
    const fail = (error: Error): void => {
      this.fails.delete(fail);
      if (settled) return;
      settled = true;
      reject(error);
    };
    this.fails.set(fail, performance.now());
    return (outcome) => {
      this.failEarlierThan(fail);
      this.fails.delete(fail);
      this.lastReplyAt = performance.now();
      if (settled) return;
      settled = true;
      try {
        resolve(outcome());
      } catch (failure) {
        reject(failure);
      }
    };
  }

  /**
   * Fails every request queued before `before`, unless a reply came after it (a busy server that
   * answers in order is slow, not stuck); true if there were any.
   */
  failOlderThan(before: number): boolean {
    if (this.lastReplyAt >= before) return false;
    let stuck = false;
    for (const [fail, queuedAt] of this.fails) {
      if (queuedAt < before) {
        stuck = true;
        fail(new ConnectionLossError('no reply to a request within the read timeout'));
      }
    }
    return stuck;
  }

  /**
   * Replies (and the client's failures on a closed socket) come in the order requests were
   * queued: a request still waiting when a later one is answered was lost (its bytes dropped, or
   * the client discarded it on a reply mismatch) and will never be answered.
   */
  private failEarlierThan(answered: (error: Error) => void): void {
    for (const fail of this.fails.keys()) {
      if (fail === answered) return;
      fail(new ConnectionLossError('a later request was answered first: this one was lost'));
    }
  }

  /** Fails every request with `reason`. */
  failAll(reason: Error): void {
    for (const fail of [...this.fails.keys()]) fail(reason);
  }
}
