/** Small statistics helpers for the benchmark: percentiles, medians with spread, formatting. */

/** The q-quantile (0..1) of `xs` by linear interpolation; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** A figure over repeated rounds: its median, min, max, p25 and p75, and the raw samples. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
  samples: number[];
}

/** Summarizes per-round values into a `Figure`. */
export function figure(samples: readonly number[]): Figure {
  return {
    median: quantile(samples, 0.5),
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    p25: quantile(samples, 0.25),
    p75: quantile(samples, 0.75),
    samples: [...samples],
  };
}

/** Formats a number with a sensible number of significant digits. */
export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toString();
  return String(Number.parseFloat(x.toPrecision(digits)));
}

/** "median (min–max)" for a figure. */
export function spread(f: Figure, digits = 3): string {
  return `${num(f.median, digits)} (${num(f.min, digits)}–${num(f.max, digits)})`;
}

/** Times an async thunk in ms with performance.now(). */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Per-op latencies of a sequential loop: `ops` timed calls of `fn` (ms each). */
export async function loop(ops: number, fn: (i: number) => Promise<unknown>): Promise<{ latencies: number[]; totalMs: number }> {
  const latencies = new Array<number>(ops);
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const s = performance.now();
    await fn(i);
    latencies[i] = performance.now() - s;
  }
  return { latencies, totalMs: performance.now() - t0 };
}

/** One sequential-loop measurement: ops/s, p50 and p99 latency in ms. */
export interface LoopResult {
  opsPerSec: number;
  p50: number;
  p99: number;
}

/** Reduces a loop to ops/s, p50 and p99. */
export function loopResult(r: { latencies: number[]; totalMs: number }): LoopResult {
  return { opsPerSec: (r.latencies.length * 1000) / r.totalMs, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99) };
}

/** Rejects with "<what>: no result within <ms> ms" if `p` has not settled by then. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
