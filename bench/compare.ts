/**
 * `npm run bench`: zoosync beside Apache Curator 5.4, kazoo 2.8 and the bare node-zookeeper-client,
 * each in its own process, on the same harness-started ZooKeeper, interleaved round by round (round
 * r runs each case on every peer in an order rotated by r). Both server modes by default
 * (forceSync=yes, then forceSync=no, each a fresh server). Writes bench/results/latest.md (the
 * README's Performance table) and bench/results/compare-<ISO timestamp>.json (every sample).
 *
 * Flags: --rounds N (default 3), --cases locks,handoff,failover,waiters,held, --in-flight 1,8,64,512,4096,
 * --modes yes,no, --peers zoosync,curator,kazoo,bare, --window-ms 2000, --waiters 1000, --held 100000,
 * --failover-runs 20, --out latest.md (file name under bench/results), --cpu-prof (the zoosync peer writes a V8 CPU profile to bench/results/profiles), --quick (1 round, 500 ms windows, in flight 1,8,64, 200 waiters, 5,000 held).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureZooKeeper, startProxy, stopAll } from '../test/harness/index.js';
import { startBenchServer } from './compare/bench-server.js';
import { failover, handoffs, heldLocks, locksInFlight, waiters, type CaseEnv, type Sample } from './compare/cases.js';
import { killAllPeers, PeerProcess } from './compare/peer.js';
import { discoverPeers } from './compare/peers.js';
import { renderMode, type ModeResult, type TargetResult } from './compare/table.js';
import { machineInfo, type MachineInfo } from './machine.js';

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    cases: { type: 'string', default: 'locks,handoff,failover,waiters,held' },
    'in-flight': { type: 'string' },
    modes: { type: 'string', default: 'yes,no' },
    peers: { type: 'string', default: 'zoosync,curator,kazoo,bare' },
    'window-ms': { type: 'string' },
    waiters: { type: 'string' },
    held: { type: 'string' },
    'failover-runs': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: 'latest.md' },
  },
});
const quick = argv.quick;
const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
const positive = (name: string, v: string | undefined, dflt: number): number => {
  const x = v === undefined ? dflt : Number(v);
  if (!(Number.isInteger(x) && x > 0)) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return x;
};
const CASES = ['locks', 'handoff', 'failover', 'waiters', 'held'];
const cases = new Set(list(argv.cases));
for (const c of cases) if (!CASES.includes(c)) throw new Error(`--cases: unknown case "${c}" (cases: ${CASES.join(', ')})`);
const modes = list(argv.modes);
for (const m of modes) if (m !== 'yes' && m !== 'no') throw new Error(`--modes: expected yes and/or no, got "${m}"`);
const cfg = {
  rounds: positive('rounds', argv.rounds, quick ? 1 : 3),
  inFlight: list(argv['in-flight'] ?? (quick ? '1,8,64' : '1,8,64,512,4096')).map((x) => positive('in-flight', x, 1)),
  windowMs: positive('window-ms', argv['window-ms'], quick ? 500 : 2000),
  waiters: positive('waiters', argv.waiters, quick ? 200 : 1000),
  held: positive('held', argv.held, quick ? 5000 : 100_000),
  failoverRuns: positive('failover-runs', argv['failover-runs'], quick ? 5 : 20),
};
const log = (s: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

type CaseFn = (peer: PeerProcess, env: CaseEnv) => Promise<Sample>;
/** The round's case list: one entry per in-flight count, then the others, in --cases order. */
function roundCases(): Array<{ key: string; needs: string; run: CaseFn }> {
  const out: Array<{ key: string; needs: string; run: CaseFn }> = [];
  if (cases.has('locks')) for (const n of cfg.inFlight) out.push({ key: `locks-${n}`, needs: 'locks', run: (p, e) => locksInFlight(p, e, n) });
  if (cases.has('handoff')) out.push({ key: 'handoff', needs: 'handoff', run: handoffs });
  if (cases.has('failover')) out.push({ key: 'failover', needs: 'failover', run: failover });
  if (cases.has('waiters')) out.push({ key: 'waiters', needs: 'queue', run: waiters });
  return out;
}

/** A sample's main figure, for the progress log. */
const headline = (s: Sample): string =>
  s.rate !== undefined ? `${Math.round(s.rate)}/s` : s.perHandoffMs !== undefined ? `${s.perHandoffMs.toFixed(2)} ms/hand-off` : `p50 ${(s.p50 ?? Number.NaN).toFixed(2)} ms`;

const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);

async function runMode(forceSync: boolean, specs: ReturnType<typeof discoverPeers>['peers']): Promise<{ result: ModeResult; machine: MachineInfo }> {
  const mode = forceSync ? 'yes' : 'no';
  const server = await startBenchServer(forceSync);
  const proxy = await startProxy(server.connectString);
  const peers: PeerProcess[] = [];
  try {
    const machine = await machineInfo(server.connectString, server);
    log(`forceSync=${mode}: ZooKeeper ${machine.zookeeper} at ${server.connectString} (pid ${server.pid})`);
    for (const spec of specs) peers.push(await PeerProcess.start(spec, server.connectString, `/zoosync-bench/${spec.key}`));
    const env: CaseEnv = { server, proxy, windowMs: cfg.windowMs, failoverRuns: cfg.failoverRuns, waiters: cfg.waiters, held: cfg.held };
    log('warming up (JITs of server and peers)');
    for (const p of peers) {
      await locksInFlight(p, { ...env, windowMs: quick ? 300 : 1500 }, 64);
      await locksInFlight(p, { ...env, windowMs: quick ? 300 : 1000 }, 1);
    }
    const result: ModeResult = { forceSync: mode, peers: specs.map((s) => ({ key: s.key, label: s.label, concurrency: s.concurrency })), rounds: [], held: {} };
    for (let r = 0; r < cfg.rounds; r++) {
      const round: Record<string, Record<string, Sample>> = {};
      const order = rotate(peers, r);
      for (const c of roundCases()) {
        round[c.key] = {};
        for (const p of order) {
          if (!p.spec.cases.has(c.needs)) continue;
          try {
            round[c.key]![p.spec.key] = await c.run(p, env);
          } catch (error) {
            log(`round ${r + 1} ${c.key} ${p.spec.key}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        log(`round ${r + 1}/${cfg.rounds} ${c.key}: ${Object.entries(round[c.key]!).map(([k, s]) => `${k} ${headline(s)}`).join(', ')}`);
      }
      result.rounds.push(round);
    }
    if (cases.has('held')) {
      for (const p of peers) {
        if (!p.spec.cases.has('hold')) continue;
        log(`${p.spec.key}: holding ${cfg.held} locks, then resetting its connection`);
        try {
          result.held[p.spec.key] = await heldLocks(p, env);
          log(`${p.spec.key}: ${JSON.stringify(result.held[p.spec.key])}`);
        } catch (error) {
          log(`held ${p.spec.key}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return { result, machine };
  } finally {
    for (const p of peers) await p.close().catch((e: Error) => log(`closing ${p.spec.key}: ${e.message}`));
    await proxy.close();
    await server.stop();
  }
}

function markdown(results: ModeResult[], machine: MachineInfo, wallMs: number, skipped: string[]): { md: string; targets: TargetResult[] } {
  const out: string[] = [];
  const targets: TargetResult[] = [];
  out.push(`# zoosync bench, ${new Date().toISOString()}`);
  out.push('');
  out.push(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.platform}, load average at start ${machine.loadAvg.join(' ')}; ` +
    `shared with other jobs, so absolute figures are noisy: compare within a column pair of one run. Node ${machine.node}; ` +
    `ZooKeeper ${machine.zookeeper} standalone on loopback (full JIT, default container sweep), a fresh server per mode.`);
  out.push(`Each cell is the median of ${cfg.rounds} interleaved rounds (range in brackets); ratios are medians of the per-round ratios. ` +
    `Windows of ${cfg.windowMs} ms` + (cases.has('waiters') ? `; ${cfg.waiters} waiters` : '') + (cases.has('held') ? `; ${cfg.held.toLocaleString('en-US')} held locks` : '') +
    (cases.has('failover') ? `; ${cfg.failoverRuns} fail-overs per round` : '') + `; wall ${(wallMs / 1000).toFixed(0)} s.`);
  out.push('');
  out.push('How each peer runs: ' + results[0]!.peers.map((p) => `${p.label}: ${p.concurrency}`).join('; ') + '. ' +
    'Client CPU is the peer process\'s CPU (all threads) from /proc; server CPU is the ZooKeeper JVM\'s; packets are mntr\'s ' +
    'zk_packets_sent/received deltas, notifications the zk_sum_node_*_watch_count deltas, all per completed operation. ' +
    'The bare client does create-sequential, getChildren, delete (no lease, no guard). ' +
    'The held case acquires with 64 acquires in flight (64 threads for Curator and kazoo) on one session through a loopback proxy, ' +
    'which then resets the connection; it runs once per mode, after the rounds.');
  if (skipped.length) out.push('', `Skipped: ${skipped.join('; ')}`);
  for (const m of results) {
    const { markdown: table, targets: t } = renderMode(m, cfg.inFlight, cfg.waiters);
    targets.push(...t);
    out.push('', `## forceSync=${m.forceSync}`, '', table);
  }
  out.push('', '## Targets (goals, not assertions)', '');
  for (const t of targets) {
    const verdict = Number.isFinite(t.value) ? `${Number(t.value.toPrecision(3))} (goal ${t.goal}) **${t.met ? 'met' : 'missed'}**` : `not measured (goal ${t.goal})`;
    out.push(`- forceSync=${t.mode}: ${t.name}: ${verdict}`);
  }
  out.push('', 'Heap per held lock: zoosync V8 heapUsed after gc(); Curator JVM used heap after System.gc(); kazoo process RSS growth after gc.collect().');
  return { md: out.join('\n') + '\n', targets };
}

async function main(): Promise<void> {
  const wall0 = performance.now();
  const skipped: string[] = [];
  const skip = (s: string): void => {
    log(s);
    skipped.push(s);
  };
  const profileDir = argv['cpu-prof'] ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results/profiles') : undefined;
  const { peers: specs, cleanup } = discoverPeers(log, skip, new Set(list(argv.peers)), profileDir);
  if (profileDir) log(`zoosync peer CPU profiles go to ${profileDir} (summarize: node .build/bench/cpuprof.js <file>)`);
  try {
    await ensureZooKeeper();
    const results: ModeResult[] = [];
    let machine: MachineInfo | undefined;
    for (const m of modes) {
      const r = await runMode(m === 'yes', specs);
      results.push(r.result);
      machine ??= r.machine;
    }
    const wallMs = performance.now() - wall0;
    const { md } = markdown(results, machine!, wallMs, skipped);
    process.stdout.write(md);
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');
    fs.mkdirSync(dir, { recursive: true });
    const out = path.join(dir, path.basename(argv.out));
    fs.writeFileSync(out, md);
    const stamp = new Date().toISOString().replace(/:/g, '-');
    fs.writeFileSync(path.join(dir, `compare-${stamp}.json`), JSON.stringify({ cfg, machine, results, wallMs }, null, 2));
    log(`wrote bench/results/${path.basename(out)} and bench/results/compare-${stamp}.json`);
  } finally {
    killAllPeers();
    cleanup();
    await stopAll();
  }
}

// Ctrl-C or a kill: stop the peers and servers too (their 'exit' handlers do not run on a signal).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllPeers();
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
