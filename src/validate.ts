/**
 * Argument checks shared by the public functions: each throws an `InvalidArgumentError` naming
 * the argument and the problem, before any I/O.
 */
import { InvalidArgumentError, LeaseTooShortError } from './errors.js';
import { knownKeys } from './option-keys.js';
import { MAX_TIMER_MS } from './recipes/wait.js';
import { lacksIdentity, resolveAcl, type ResolvedAclEntry } from './zk/security.js';
import { Session } from './zk/session.js';

export { keysOf, knownKeys } from './option-keys.js';

/** A wait in ms: a non-negative integer (0 means try once). */
export function waitMs(value: unknown, argument: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new InvalidArgumentError(argument, `must be a number of milliseconds, got ${String(value)}`);
  if (value < 0) throw new InvalidArgumentError(argument, `must not be negative, got ${value}`);
  if (!Number.isInteger(value)) throw new InvalidArgumentError(argument, `must be a whole number of milliseconds, got ${value}`);
  if (value > MAX_TIMER_MS) throw new InvalidArgumentError(argument, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`);
  return value;
}

/** A lease in ms: finite and at least `minimumMs`. */
export function leaseMs(value: unknown, argument: string, minimumMs: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidArgumentError(argument, `must be a finite number of milliseconds, got ${String(value)}`);
  if (value < minimumMs) throw new LeaseTooShortError(argument, minimumMs, value);
  if (value > MAX_TIMER_MS) throw new InvalidArgumentError(argument, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`);
  return value;
}

/** An optional AbortSignal. */
export function optionalSignal(value: unknown, argument: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new InvalidArgumentError(argument, 'must be an AbortSignal');
  return value;
}

/** An optional per-call ACL (a preset or entries), refused before any I/O if it needs an identity `session` does not have. */
export function optionalAcl(value: unknown, argument: string, session: Session): readonly ResolvedAclEntry[] | undefined {
  if (value === undefined) return undefined;
  const acl = resolveAcl(value, argument);
  if (lacksIdentity(acl, session.options.auth, session.options.tls)) {
    throw new InvalidArgumentError(argument, 'a creator-only ACL needs an identity: give the session auth (e.g. digest) or a TLS client certificate (x509)');
  }
  return acl;
}

/** An optional Session. */
export function optionalSession(value: unknown, argument: string): Session | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Session)) throw new InvalidArgumentError(argument, 'must be a zoosync Session');
  return value;
}

/** An options bag: undefined or an object whose every key is in `allowed` (see `knownKeys`). */
export function optionsBag<T extends object>(value: T | undefined, allowed: readonly string[], argument = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new InvalidArgumentError(argument, 'must be an object');
  knownKeys(value, allowed, argument);
  return value;
}
