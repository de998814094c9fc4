/**
 * One helper to wait for the first of several things (a promise, timers, an abort signal, the
 * end of a session) and clean up every listener and timer afterwards, whichever won.
 */

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
    if (earliest) timer = setTimeout(() => finish(() => resolve(earliest.value)), Math.max(0, earliest.at - performance.now()));
    for (const p of [...(o.promise ? [o.promise] : []), ...(o.promises ?? [])]) {
      p.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(e)),
      );
    }
  });
}
