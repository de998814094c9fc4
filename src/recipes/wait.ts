/**
 * One helper to wait for the first of several things (a promise, timers, an abort signal, the
 * end of a session) and clean up every listener and timer afterwards, whichever won.
 */

/** The longest delay setTimeout honours (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What `waitFirst` races. Timers are `performance.now()` instants. */
export interface WaitFirstOptions<T> {
  promise?: Promise<T>;
  promises?: Array<Promise<T>>;
  /** The caller's signal: its abort rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** The session's signal: its abort rejects with its reason. */
  lost?: AbortSignal | undefined;
  timers?: Array<{ at: number; value: T }>;
}

/** Settles with the first of: a promise's value, the earliest timer's value, or an abort's reason. */
export function waitFirst<T>(o: WaitFirstOptions<T>): Promise<T> {
  const signals = [o.signal, o.lost].filter((s): s is AbortSignal => s !== undefined);
  for (const s of signals) if (s.aborted) return Promise.reject(s.reason);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (event: Event): void => finish(() => reject((event.target as AbortSignal).reason));
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', onAbort);
      settle();
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    const earliest = (o.timers ?? []).reduce<{ at: number; value: T } | undefined>(
      (a, b) => (a === undefined || b.at < a.at ? b : a),
      undefined,
    );
    // setTimeout fires after 1 ms for delays past 2^31-1 ms: wait in steps no longer than that.
    const arm = (): void => {
      if (!earliest || done) return;
      const delay = Math.max(0, earliest.at - performance.now());
      timer = delay > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(() => finish(() => resolve(earliest.value)), delay);
    };
    arm();
    for (const p of [...(o.promise ? [o.promise] : []), ...(o.promises ?? [])]) {
      p.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(e)),
      );
    }
  });
}

/**
 * A signal that aborts with the reason of the first of `sources` to abort, or when `abort` is
 * called; `dispose` removes its listeners from the sources (long-lived ones, such as a caller's).
 */
export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  abort: (reason: unknown) => void;
  dispose: () => void;
} {
  const controller = new AbortController();
  const live = sources.filter((s): s is AbortSignal => s !== undefined);
  const dispose = (): void => {
    for (const s of live) s.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event): void => {
    dispose();
    controller.abort((event.target as AbortSignal).reason);
  };
  const abort = (reason: unknown): void => {
    dispose();
    controller.abort(reason);
  };
  const already = live.find((s) => s.aborted);
  if (already) controller.abort(already.reason);
  else for (const s of live) s.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, abort, dispose };
}
