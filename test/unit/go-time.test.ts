import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import {
  GO_UNIX_EPOCH_OFFSET_SECONDS,
  decodeGoTime,
  decodeGoTimeNs,
  encodeGoTime,
  tryDecodeGoTime,
} from '../../src/wire/go-time.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Unix epoch in Go's seconds-since-0001-01-01:
//   (1969*365 + 1969/4 - 1969/100 + 1969/400) days = (718685 + 492 - 19 + 4) = 719162 days
//   719162 * 86400 = 62135596800 s
//   62135596800 = 14 * 2^32 (60129542144) + 2006054656; 2006054656 = 0x7791F700
//   => 0x0000000E7791F700
const UNIX_0 = '01 0000000e7791f700 00000000 ffff';

// 2024-01-02T03:04:05.678Z:
//   days 1970-01-01 .. 2024-01-01 = 54*365 + 13 leap days (1972..2020) = 19723, +1 for Jan 2 = 19724
//   19724 * 86400 = 1704153600; + 3*3600 + 4*60 + 5 = 11045 => Unix 1704164645 s
//   Go seconds = 1704164645 + 62135596800 = 63839761445
//     = 14 * 2^32 (60129542144) + 3710219301; 3710219301 = 0xDD257425 => 0x0000000EDD257425
//   nanos = 678000000 = 0x28697580 (0x28*2^24 + 0x69*2^16 + 0x75*2^8 + 0x80)
const Y2024_MS = 1704164645678;
const Y2024 = '01 0000000edd257425 28697580 ffff';

// 1969-12-31T23:59:59.999Z = Unix ms -1: floor(-1/1000) = -1 s, nanos = 999000000
//   Go seconds = 62135596800 - 1 = 62135596799 = 0x0000000E7791F6FF; 999000000 = 0x3B8B87C0
const MINUS_1MS = '01 0000000e7791f6ff 3b8b87c0 ffff';

// 1900-01-01T00:00:00Z = Unix -2208988800 s (70 years = 70*365 + 17 leap days = 25567 days)
//   Go seconds = 62135596800 - 2208988800 = 59926608000
//     = 13 * 2^32 (55834574848) + 4092033152; 4092033152 = 0xF3E77880 => 0x0000000DF3E77880
const Y1900 = '01 0000000df3e77880 00000000 ffff';

test('the Unix epoch offset is 62135596800 s', () => {
  assert.equal(GO_UNIX_EPOCH_OFFSET_SECONDS, 62135596800n);
  assert.equal(Date.parse('0001-01-01T00:00:00Z'), -62135596800_000, 'cross-check with Date');
});

test('encodes Unix 0 as Go does', () => {
  assert.deepEqual(encodeGoTime(0), hex(UNIX_0));
  assert.equal(encodeGoTime(0).length, 15);
  assert.equal(decodeGoTime(hex(UNIX_0)), 0);
});

test('encodes a date with nanoseconds', () => {
  assert.equal(Y2024_MS, Date.parse('2024-01-02T03:04:05.678Z'));
  assert.deepEqual(encodeGoTime(Y2024_MS), hex(Y2024));
  assert.equal(decodeGoTime(hex(Y2024)), Y2024_MS);
});

test('encodes pre-1970 instants with floor division and non-negative nanos', () => {
  assert.deepEqual(encodeGoTime(-1), hex(MINUS_1MS));
  assert.equal(decodeGoTime(hex(MINUS_1MS)), -1);
  assert.equal(Date.parse('1900-01-01T00:00:00Z'), -2208988800_000);
  assert.deepEqual(encodeGoTime(-2208988800_000), hex(Y1900));
  assert.equal(decodeGoTime(hex(Y1900)), -2208988800_000);
});

test('fractional milliseconds and bigint nanoseconds keep sub-millisecond precision', () => {
  // 1.5 ms = 1500000 ns: seconds still 0x0E7791F700, nanos 1500000 = 0x0016E360
  const v = hex('01 0000000e7791f700 0016e360 ffff');
  assert.deepEqual(encodeGoTime(1.5), v);
  assert.deepEqual(encodeGoTime(1_500_000n), v);
  assert.equal(decodeGoTimeNs(v), 1_500_000n);
  assert.equal(decodeGoTime(v), 1);
  // -0.5 ms = -500000 ns: second -1, nanos 999500000 = 0x3B9328E0 (59*2^24 + 147*2^16 + 40*2^8 + 224); decodes to floor(-0.5) = -1 ms
  const neg = hex('01 0000000e7791f6ff 3b9328e0 ffff');
  assert.deepEqual(encodeGoTime(-0.5), neg);
  assert.deepEqual(encodeGoTime(-500_000n), neg);
  assert.equal(decodeGoTime(neg), -1);
  assert.equal(decodeGoTimeNs(neg), -500_000n);
});

test('round-trips many random instants', () => {
  for (let i = 0; i < 5000; i++) {
    const ms = Math.floor((Math.random() - 0.5) * 2 * 8.64e15);
    const buf = encodeGoTime(ms);
    assert.equal(buf.length, 15);
    assert.equal(buf.readUInt32BE(9) < 1e9, true);
    assert.equal(decodeGoTime(buf), ms);
    assert.equal(tryDecodeGoTime(buf), ms);
    const ns = BigInt(ms) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6));
    assert.equal(decodeGoTimeNs(encodeGoTime(ns)), ns);
  }
});

test('a zone offset names the zone but does not move the instant', () => {
  // Same instant as Y2024, written by a Go process in UTC+01:00: offset 60 min = 0x003C
  const plus60 = hex('01 0000000edd257425 28697580 003c');
  assert.equal(decodeGoTime(plus60), Y2024_MS);
  // UTC-05:00: -300 min = 0xFED4 as int16
  assert.equal(decodeGoTime(hex('01 0000000edd257425 28697580 fed4')), Y2024_MS);
  // A Go 'Local' zone at offset 0 writes 0, not -1
  assert.equal(decodeGoTime(hex('01 0000000e7791f700 00000000 0000')), 0);
});

test('decodes version 2 (Go >= 1.20, offset with seconds)', () => {
  // Unix 0 in Amsterdam LMT (+00:19:32 = 1172 s): offsetMin 19 = 0x0013, offsetSec 32 = 0x20
  const v2 = hex('02 0000000e7791f700 00000000 0013 20');
  assert.equal(v2.length, 16);
  assert.equal(decodeGoTime(v2), 0);
  assert.equal(decodeGoTime(hex('02 0000000edd257425 28697580 0013 20')), Y2024_MS);
});

test('rejects a bad length or version with InvalidArgumentError("data")', () => {
  const bad: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array(0), /empty/],
    [hex(UNIX_0).subarray(0, 14), /version 1 must be 15 bytes, got 14/],
    [Buffer.concat([hex(UNIX_0), Buffer.from([0])]), /version 1 must be 15 bytes, got 16/],
    [hex('02 0000000e7791f700 00000000 ffff'), /version 2 must be 16 bytes, got 15/],
    [hex('03 0000000e7791f700 00000000 ffff'), /version 3/],
    [hex('00 0000000e7791f700 00000000 ffff'), /version 0/],
    [hex('01 0000000e7791f700 3b9aca00 ffff'), /nanoseconds field 1000000000/],
    [Buffer.from('not a time at all'), /version 110/],
  ];
  for (const [buf, message] of bad) {
    assert.throws(
      () => decodeGoTime(buf),
      (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'data' && message.test(e.message),
    );
    assert.equal(tryDecodeGoTime(buf), undefined);
  }
});

test('tryDecodeGoTime treats missing data as no deadline', () => {
  assert.equal(tryDecodeGoTime(undefined), undefined);
  assert.equal(tryDecodeGoTime(null), undefined);
  assert.equal(tryDecodeGoTime(Buffer.alloc(0)), undefined);
});

test('decodes from a Uint8Array view at an offset', () => {
  const backing = new Uint8Array(40);
  backing.set(hex(Y2024), 7);
  assert.equal(decodeGoTime(backing.subarray(7, 22)), Y2024_MS);
});

test('encode rejects non-finite and out-of-range input', () => {
  for (const v of [Number.NaN, Infinity, -Infinity, 1e300, 1n << 100n]) {
    assert.throws(() => encodeGoTime(v), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'ms');
  }
  assert.throws(() => encodeGoTime('0' as unknown as number), InvalidArgumentError);
});
