/**
 * Names of sequential and protected lock nodes, as go-zookeeper's
 * `CreateProtectedEphemeralSequential` and ZooKeeper's sequential create make them:
 * `_c_<32 lowercase hex guid>-<prefix><sequence>`, e.g. `_c_0123…cdef-lock-0000000042`.
 *
 * ZooKeeper appends the parent's cversion, a signed 32-bit counter, as Java's `%010d`: ten
 * digits when non-negative, and after overflow a `-` plus at least nine digits
 * (`-000000005`, `-2147483648`). So a negative sequence after the `lock-` separator reads
 * `lock--000000005`; Go's `parseSeq` split on `-` and lost that sign.
 */

import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** The marker go-zookeeper and Curator put in front of a protected node's guid. */
export const PROTECTED_MARKER = '_c_';

const GUID_RE = /^[0-9a-f]{32}$/;
const PROTECTED_RE = /^_c_([0-9a-f]{32})-/;
const NEG_SHORT_RE = /--(\d{9})$/; // -1 .. -999999999 formatted as `-` + 9 digits
const TEN_DIGITS_RE = /-(-?)(\d{10})$/; // 10 digits, maybe after a second `-`
/**
 * The protection in front of a node name: go-zookeeper's and ours, `_c_<32 hex>-`, or Curator's,
 * `_c_<UUID with dashes>-` (so a Curator `InterProcessMutex` on the same path is a contender too).
 */
const PROTECTION = '_c_(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-';
/** A contender of the lock and leader recipes: `lock-<seq>`, maybe behind a `_c_<guid>-` protection. */
const CONTENDER_RE = new RegExp(`^(?:${PROTECTION})?lock-(?:\\d{10}|-\\d{9,10})$`);
/** A node of Curator's `InterProcessReadWriteLock`: `__READ__<seq>` or `__WRIT__<seq>`, maybe protected. */
const READ_WRITE_RE = new RegExp(`^(?:${PROTECTION})?__(READ|WRIT)__(\\d{10}|-\\d{9,10})$`);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A fresh protected-node guid: 32 lowercase hex digits (go-zookeeper's `fmt.Sprintf("%x", guid)`). */
export function newGuid(): string {
  // randomUUID draws from a cached entropy pool: far cheaper per call than randomBytes(16).
  return randomUUID().replaceAll('-', '');
}

/** The name prefix of a protected sequential create, `_c_<guid>-<prefix>` (go-zookeeper `CreateProtectedEphemeralSequential`). */
export function protectedPrefix(guid: string, prefix: string): string {
  if (typeof guid !== 'string' || !GUID_RE.test(guid)) {
    throw new InvalidArgumentError('guid', `must be 32 lowercase hex digits, got ${JSON.stringify(guid)}`);
  }
  if (typeof prefix !== 'string' || prefix.includes('/')) {
    throw new InvalidArgumentError('prefix', `must be a node name without "/", got ${JSON.stringify(prefix)}`);
  }
  return `${PROTECTED_MARKER}${guid}-${prefix}`;
}

/** The guid of a protected node name (`_c_<guid>-…`), or undefined when the name is not protected. */
export function guidOf(name: string): string | undefined {
  return PROTECTED_RE.exec(name)?.[1];
}

/**
 * The signed 32-bit sequence ZooKeeper appended after the last `-` separator, or undefined for
 * a name without one (Go `parseSeq`, which read `lock--000000005` as 5; we read -5).
 */
export function parseSequence(name: string): number | undefined {
  if (typeof name !== 'string') return undefined;
  const short = NEG_SHORT_RE.exec(name);
  if (short !== null) return -Number(short[1]);
  const ten = TEN_DIGITS_RE.exec(name);
  if (ten === null) return undefined;
  const digits = ten[2] as string;
  const value = Number(digits);
  // `--` + 10 digits is a negative sequence unless it has a leading zero (%010d would have
  // written a negative that small with 9 digits): then the prefix itself ended in `-`.
  if (ten[1] === '-' && !digits.startsWith('0')) {
    return -value >= INT32_MIN ? -value : undefined;
  }
  return value <= INT32_MAX ? value : undefined;
}

/**
 * True for a node name of the recipes' own shape (zoosync's and the Go recipe's
 * `_c_<guid>-lock-<seq>`, or an unprotected `lock-<seq>`): only these count as contenders, so a
 * node planted with another name (`x-0000000000`) can neither hold a lock nor block an election.
 */
export function isContenderName(name: string): boolean {
  return typeof name === 'string' && CONTENDER_RE.test(name) && parseSequence(name) !== undefined;
}

/** A read-write lock node's kind and signed sequence (Curator's `__READ__`/`__WRIT__` names), or undefined. */
export function parseReadWriteName(name: string): { kind: 'read' | 'write'; seq: number } | undefined {
  const m = typeof name === 'string' ? READ_WRITE_RE.exec(name) : null;
  if (m === null) return undefined;
  const seq = Number(m[2]);
  if (seq < INT32_MIN || seq > INT32_MAX) return undefined;
  return { kind: m[1] === 'READ' ? 'read' : 'write', seq };
}

/** The contenders among `names` (see `isContenderName`), ascending by sequence. */
export function sortContenders(names: readonly string[]): string[] {
  return sortBySequence(names.filter(isContenderName));
}

/**
 * Orders two parsed sequence numbers as signed 32-bit integers (negative when `a` comes first;
 * replaces Go's `s < seq`). Honest caveat: after the counter wraps, the newer `-2147483648`
 * sorts BEFORE the older `2147483647`, so contenders straddling the wrap are misordered; it
 * takes 2^31 creates under one parent (the reaper deletes idle parents, resetting it).
 */
export function compareSequence(a: number, b: number): number {
  return a - b;
}

/** Node names with a parseable sequence, ascending by sequence (ties by name); others are dropped. */
export function sortBySequence(names: readonly string[]): string[] {
  const parsed: Array<{ name: string; seq: number }> = [];
  for (const name of names) {
    const seq = parseSequence(name);
    if (seq !== undefined) parsed.push({ name, seq });
  }
  parsed.sort((x, y) => compareSequence(x.seq, y.seq) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return parsed.map((p) => p.name);
}

function sortedWithOurs(names: readonly string[], ours: string): string[] {
  if (parseSequence(ours) === undefined) {
    throw new InvalidArgumentError('ours', `${JSON.stringify(ours)} is not a sequential node name`);
  }
  if (!names.includes(ours)) {
    throw new InvalidArgumentError('ours', `${JSON.stringify(ours)} is not among the children`);
  }
  return sortBySequence(names);
}

/**
 * The node just before `ours` in sequence order, the one to watch (go-zookeeper
 * `findLowestSequenceNode`'s `prevSeqPath`); undefined when ours is lowest. Throws
 * `InvalidArgumentError('ours')` when `ours` is absent from `names` or not sequential.
 */
export function predecessorOf(names: readonly string[], ours: string): string | undefined {
  const sorted = sortedWithOurs(names, ours);
  const i = sorted.indexOf(ours);
  return i > 0 ? sorted[i - 1] : undefined;
}

/**
 * True when `ours` has the lowest sequence of `names`, i.e. holds the lock (go-zookeeper
 * `seq == lowestSeq`). Throws `InvalidArgumentError('ours')` like `predecessorOf`.
 */
export function isLowest(names: readonly string[], ours: string): boolean {
  return sortedWithOurs(names, ours)[0] === ours;
}
