/**
 * Refusal of unknown option keys: a JavaScript caller has no compiler, so `{ waitFor: 5000 }`
 * must fail loudly, naming the key and the known key it most likely meant. A leaf module (it
 * imports only the errors) so that both `zk/config.ts` and `validate.ts` can use it.
 */
import { InvalidArgumentError } from './errors.js';

/** The constructor of the typed error a call throws for bad input (`InvalidArgumentError` or `ConfigurationError`). */
export type ArgumentErrorClass = new (argument: string, problem: string) => InvalidArgumentError;

/** The keys of `T` as a list; the record makes the compiler insist that every key of `T` is listed. */
export function keysOf<T extends object>(record: Record<keyof Required<T>, true>): readonly string[] {
  return Object.freeze(Object.keys(record));
}

/**
 * Throws `ErrorClass("<argument>.<key>", …)` for the first own key of `bag` not in `allowed`,
 * even when its value is `undefined`, naming the nearest known key when one is close.
 */
export function knownKeys(bag: object, allowed: readonly string[], argument = 'options', ErrorClass: ArgumentErrorClass = InvalidArgumentError): void {
  for (const key of Object.keys(bag)) {
    if (allowed.includes(key)) continue;
    throw new ErrorClass(`${argument}.${key}`, unknownKeyProblem(key, allowed));
  }
}

/** The problem text for an unknown key: "unknown option; did you mean X?", else the known keys. */
export function unknownKeyProblem(key: string, allowed: readonly string[]): string {
  const near = nearestKey(key, allowed);
  if (near !== undefined) return `unknown option; did you mean ${near}?`;
  return allowed.length === 0 ? 'unknown option; this call takes no options' : `unknown option; the known options are ${allowed.join(', ')}`;
}

/** The known key closest to `key` by edit distance (case-insensitive), if it is close enough to be a slip. */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Edit distance with adjacent transpositions (optimal string alignment): `waitFor`→`waitForMs` is 2, `hodlForMs`→`holdForMs` is 1. */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
