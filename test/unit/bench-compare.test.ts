import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMntr, perOp, type ServerSnapshot } from '../../bench/compare/server-meter.js';
import { renderMode, type ModeResult } from '../../bench/compare/table.js';
import { gaps, percentiles } from '../../bench/peers/serve.js';

test('parseMntr reads numeric mntr lines and skips text ones', () => {
  const m = parseMntr('zk_version\t3.8.0-x, built\nzk_packets_sent\t44\nzk_avg_latency\t0.5\nzk_server_state\tstandalone\n');
  assert.equal(m.get('zk_packets_sent'), 44);
  assert.equal(m.get('zk_avg_latency'), 0.5);
  assert.equal(m.has('zk_version'), false);
  assert.equal(m.has('zk_server_state'), false);
});

test('perOp divides the server deltas by the operations', () => {
  const a: ServerSnapshot = { cpuMs: 100, packetsSent: 10, packetsReceived: 20, notifications: 1, watches: 0, znodes: 5 };
  const b: ServerSnapshot = { cpuMs: 300, packetsSent: 410, packetsReceived: 320, notifications: 101, watches: 0, znodes: 5 };
  assert.deepEqual(perOp(a, b, 100), { serverCpuUs: 2000, sent: 4, received: 3, notifications: 1 });
});

test('percentiles and gaps of the peers are by rank, and gaps run from t0', () => {
  assert.deepEqual(percentiles([]), { p50: null, p99: null });
  assert.deepEqual(percentiles([5, 1, 3]), { p50: 3, p99: 3 });
  const g = gaps(0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 20]);
  assert.equal(g.firstTenthMs, 1);
  assert.equal(g.lastTenthMs, 11);
});

const sample = (rate: number, serverCpuUs: number) => ({ rate, p50: 1, p99: 2, clientCpuUs: 10, serverCpuUs, sent: 4, received: 3, notifications: 1 });

test('renderMode takes medians of per-round zoosync ÷ Curator ratios and marks targets met or missed', () => {
  const m: ModeResult = {
    forceSync: 'yes',
    peers: [{ key: 'zoosync', label: 'zoosync', concurrency: '' }, { key: 'curator', label: 'Curator', concurrency: '' }],
    // Round ratios of the 64-in-flight rate: 1.5, 1.0, 1.3 → median 1.3 (met, >= 1.2); server CPU 0.5 each (met).
    rounds: [
      { 'locks-64': { zoosync: sample(150, 50), curator: sample(100, 100) } },
      { 'locks-64': { zoosync: sample(100, 50), curator: sample(100, 100) } },
      { 'locks-64': { zoosync: sample(130, 50), curator: sample(100, 100) } },
    ],
    held: {},
  };
  const { markdown, targets } = renderMode(m, [64], 1000);
  assert.match(markdown, /\| 64 distinct locks in flight: lock\+unlock\/s \| 130 \(100–150\) \| 100 \| 1\.3× \| >= 1\.2×: \*\*met\*\* \|/);
  const byName = new Map(targets.map((t) => [t.name, t]));
  assert.equal(byName.get('64 in flight lock+unlock/s ÷ Curator')?.met, true);
  assert.equal(byName.get('64 in flight server CPU/op ÷ Curator')?.met, true);
  assert.equal(byName.get('64 in flight client CPU/op ÷ Curator')?.value, 1);
  m.rounds = m.rounds.map((r) => ({ 'locks-64': { ...r['locks-64']!, curator: sample(200, 40) } }));
  const worse = new Map(renderMode(m, [64], 1000).targets.map((t) => [t.name, t]));
  assert.equal(worse.get('64 in flight lock+unlock/s ÷ Curator')?.met, false);
  assert.equal(worse.get('64 in flight server CPU/op ÷ Curator')?.met, false);
});

test('renderMode without Curator prints no ratio and judges no ratio target', () => {
  const m: ModeResult = { forceSync: 'no', peers: [{ key: 'zoosync', label: 'zoosync', concurrency: '' }], rounds: [{ 'locks-64': { zoosync: sample(100, 50) } }], held: {} };
  const { markdown, targets } = renderMode(m, [64], 1000);
  assert.doesNotMatch(markdown, /÷ Curator/);
  assert.match(markdown, /no Curator/);
  assert.equal(targets.length, 0);
});
