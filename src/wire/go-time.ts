/**
 * Go's `time.Time` binary form (`MarshalBinary`/`GobEncode`), the lease deadline that
 * go-zookeeper's lock stores as a lock node's data. Big-endian layout:
 * version (1 byte) | seconds since 0001-01-01T00:00:00Z (int64) | nanoseconds (int32) |
 * zone offset in minutes (int16, -1 = UTC) | [version 2 only: offset seconds (int8)].
 */

import { InvalidArgumentError } from '../errors.js';

/** Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch. */
export const GO_UNIX_EPOCH_OFFSET_SECONDS = 62135596800n;

const V1 = 1;
const V2 = 2;
const V1_LENGTH = 15;
const V2_LENGTH = 16;
const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Floor division for bigints (`/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** Converts Unix milliseconds (number, may be fractional or negative) to Unix nanoseconds. */
function msToNs(ms: number): bigint {
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError('ms', `must be a finite number of Unix milliseconds (got ${ms})`);
  }
  const whole = Math.floor(ms);
  const nsOfFraction = BigInt(Math.round((ms - whole) * 1e6));
  return BigInt(whole) * NS_PER_MS + nsOfFraction;
}

/**
 * Encodes an instant as Go's `time.Time.MarshalBinary` (version 1, 15 bytes, zone UTC), as
 * go-zookeeper's `Lock.Lock` does with `time.Now().Add(ttl).GobEncode()`. A `number` is Unix
 * milliseconds (fractions become sub-millisecond nanoseconds); a `bigint` is Unix nanoseconds.
 */
export function encodeGoTime(ms: number | bigint): Buffer {
  let unixNs: bigint;
  if (typeof ms === 'bigint') unixNs = ms;
  else if (typeof ms === 'number') unixNs = msToNs(ms);
  else throw new InvalidArgumentError('ms', `must be a number (Unix ms) or bigint (Unix ns), got ${typeof ms}`);

  const seconds = floorDiv(unixNs, NS_PER_SECOND) + GO_UNIX_EPOCH_OFFSET_SECONDS;
  const nanos = unixNs - floorDiv(unixNs, NS_PER_SECOND) * NS_PER_SECOND; // always 0..999999999
  if (seconds < INT64_MIN || seconds > INT64_MAX) {
    throw new InvalidArgumentError('ms', `instant ${String(ms)} is outside Go's time.Time range`);
  }
  // Every byte is written below; the pooled allocation keeps a held lock's heap small.
  const buf = Buffer.allocUnsafe(V1_LENGTH);
  buf.writeUInt8(V1, 0);
  buf.writeBigInt64BE(seconds, 1);
  buf.writeInt32BE(Number(nanos), 9);
  buf.writeInt16BE(-1, 13);
  return buf;
}

/**
 * Decodes Go's `time.Time.UnmarshalBinary` form (version 1, or version 2 of Go >= 1.20) to
 * Unix nanoseconds; the zone offset only names the zone and does not move the instant.
 */
export function decodeGoTimeNs(buf: Uint8Array): bigint {
  if (!(buf instanceof Uint8Array)) {
    throw new InvalidArgumentError('data', `must be bytes, got ${typeof buf}`);
  }
  if (buf.length === 0) throw new InvalidArgumentError('data', 'is empty, not a Go time.Time');
  const version = buf[0];
  const wantLength = version === V1 ? V1_LENGTH : version === V2 ? V2_LENGTH : undefined;
  if (wantLength === undefined) {
    throw new InvalidArgumentError('data', `unsupported Go time.Time binary version ${String(version)} (want 1 or 2)`);
  }
  if (buf.length !== wantLength) {
    throw new InvalidArgumentError(
      'data',
      `Go time.Time binary version ${version} must be ${wantLength} bytes, got ${buf.length}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const seconds = view.getBigInt64(1);
  const nanos = view.getInt32(9);
  if (nanos < 0 || nanos > 999_999_999) {
    throw new InvalidArgumentError('data', `nanoseconds field ${nanos} is outside 0..999999999`);
  }
  return (seconds - GO_UNIX_EPOCH_OFFSET_SECONDS) * NS_PER_SECOND + BigInt(nanos);
}

/**
 * Decodes Go's `time.Time.UnmarshalBinary`/`GobDecode` form to Unix milliseconds (floor of the
 * nanoseconds); throws `InvalidArgumentError('data')` on a wrong length or version.
 */
export function decodeGoTime(buf: Uint8Array): number {
  return Number(floorDiv(decodeGoTimeNs(buf), NS_PER_MS));
}

/**
 * Like `decodeGoTime`, but `undefined` for empty or undecodable data: go-zookeeper's
 * `findLowestSequenceNode` treats data that is not a time as "no deadline".
 */
export function tryDecodeGoTime(buf: Uint8Array | null | undefined): number | undefined {
  if (buf === null || buf === undefined || !(buf instanceof Uint8Array) || buf.length === 0) return undefined;
  try {
    return decodeGoTime(buf);
  } catch {
    return undefined;
  }
}
