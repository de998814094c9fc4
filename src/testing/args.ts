/** Argument checks for the testing kit: the same typed `InvalidArgumentError` as zoosync, thrown before anything starts. */
import { InvalidArgumentError } from '../errors.js';
import { knownKeys } from '../option-keys.js';

/** Returns `value` as an options bag, refusing a non-object and any key not in `allowed` (naming it). */
export function optionsOf<T extends object>(value: T | undefined, allowed: readonly string[], argument = 'options'): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, `must be an object (got ${value === null ? 'null' : typeof value})`);
  }
  knownKeys(value, allowed, argument);
  return value;
}

/** Refuses anything but a non-empty string. */
export function nonEmptyString(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(argument, `must be a non-empty string (got ${value === '' ? "''" : typeof value})`);
  }
  return value;
}

/** A value as an error message shows it: JSON for objects, else its string form. */
function shown(value: unknown): string {
  if (typeof value === 'object' && value !== null) return JSON.stringify(value) ?? 'an object';
  return String(value);
}

/** Refuses anything but an integer in [min, max]. */
export function integerIn(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `must be an integer from ${min} to ${max} (got ${shown(value)})`);
  }
  return value;
}

/** Refuses anything but undefined or a finite number >= 0. */
export function optionalMs(value: unknown, argument: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(argument, `must be a finite number of milliseconds >= 0 (got ${shown(value)})`);
  }
  return value;
}
