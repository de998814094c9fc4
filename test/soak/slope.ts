/** Least-squares growth of the soak's samples, and the bounds a metric's growth must stay under. */

/** One metric's fitted growth and whether it passed its bound. */
export interface SlopeResult {
  metric: string;
  /** Fitted slope, in the metric's unit per hour. */
  perHour: number;
  /** Fitted growth over the fitted window (slope × window length). */
  growth: number;
  /** The growth allowed over that window: max(perHourBound × window in hours, floor). */
  allowed: number;
  ok: boolean;
}

/** How fast a metric may grow: a rate per hour, and a floor for short runs where noise dominates. */
export interface GrowthBound {
  perHour: number;
  floor: number;
  unit: string;
}

/** The least-squares slope of y over x (0 with fewer than 2 distinct x). */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

const HOUR_MS = 3_600_000;

/** Fits `ys` against times `tMs` (ms) and checks the growth over the window against `bound`. */
export function checkGrowth(metric: string, times: readonly number[], values: readonly number[], bound: GrowthBound): SlopeResult {
  // A sample the server could not answer (`mntr` during its restart) is left out, not fitted as NaN.
  const keep = times.map((_, i) => i).filter((i) => Number.isFinite(values[i]));
  const tMs = keep.map((i) => times[i]!);
  const ys = keep.map((i) => values[i]!);
  const slopePerMs = leastSquaresSlope(tMs, ys);
  const windowMs = tMs.length < 2 ? 0 : tMs[tMs.length - 1]! - tMs[0]!;
  const growth = slopePerMs * windowMs;
  const allowed = Math.max(bound.perHour * (windowMs / HOUR_MS), bound.floor);
  return { metric, perHour: slopePerMs * HOUR_MS, growth, allowed, ok: growth <= allowed };
}
