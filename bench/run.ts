/**
 * `npm run bench`: zoosync against the bare node-zookeeper-client floor, measured interleaved in
 * the same run on one ZooKeeper (the harness's standalone server, or ZK_HOSTS). Prints a table and
 * writes the same figures to bench/results/<ISO timestamp>.json.
 * Flags: --quick (short smoke run), --rounds N, --procs N (contending sessions over N child
 * processes), --only uncontended,contended,rescind,held,kill,tls, --kill-runs N, --force-sync, --c1-only (keep the
 * harness's C1-only JVM).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { regionLock, Session } from '../src/index.js';
import { regionLockNamespace } from '../src/defaults.js';
import { reaperFor } from '../src/recipes/reaper.js';
import { regionLeaderPath, regionLockPath } from '../src/wire/paths.js';
import { ensureZooKeeper, externalHosts, makeTestPki, startStandalone, stopAll, type ZkServer } from '../test/harness/index.js';
import { killAllWorkers, startWorker } from './child.js';
import { Contention } from './contend.js';
import { Floor } from './floor.js';
import { killFailover, RescindFailover, type KillFailover } from './leader.js';
import { cpuMeter, machineInfo } from './machine.js';
import { buildFigures, perOpUs, type Round } from './figures.js';
import { renderReport } from './report.js';
import { loop, loopResult, type LoopResult } from './stats.js';

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    procs: { type: 'string', default: '1' },
    'force-sync': { type: 'boolean', default: false },
    'c1-only': { type: 'boolean', default: false },
    only: { type: 'string' },
    'kill-runs': { type: 'string' },
  },
});
const quick = argv.quick;
const cfg = {
  quick,
  rounds: Number(argv.rounds ?? (quick ? 2 : 5)),
  floorOps: quick ? 200 : 1000,
  lockOps: quick ? 200 : 1000,
  contendMs: quick ? 500 : 2000,
  contendSessions: [8, 64],
  procs: Number(argv.procs),
  rescindPerRound: quick ? 5 : 20,
  heldCount: 1000,
  heldRounds: quick ? 1 : 5,
  killRuns: Number(argv['kill-runs'] ?? (quick ? 1 : 3)),
  killSessionTimeoutMs: 2000,
  forceSync: argv['force-sync'],
};
const ALL_PHASES = ['uncontended', 'contended', 'rescind', 'held', 'kill', 'tls'];
const phases = new Set((argv.only ?? ALL_PHASES.join(',')).split(','));
for (const p of phases) if (!ALL_PHASES.includes(p)) throw new Error(`--only: unknown phase "${p}" (phases: ${ALL_PHASES.join(', ')})`);
if (!(cfg.rounds >= 1 && cfg.procs >= 1)) throw new Error('--rounds and --procs must be positive integers');
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);


async function uncontended(session: Session, ops: number): Promise<LoopResult> {
  return loopResult(await loop(ops, async () => (await regionLock('bench-uncontended', { session })).unlock()));
}


/** A second server serving plain and TLS ports, with one session on each (certificates made now, removed at exit). */
async function tlsSessions(forceSync: boolean): Promise<{ plain: Session; secure: Session; close: () => Promise<void> }> {
  const pki = await makeTestPki();
  const tlsServer = await startStandalone({ forceSync, fullJit: !argv['c1-only'], tls: { pki } });
  const plain = new Session({ hosts: tlsServer.connectString });
  const secure = new Session({ hosts: tlsServer.secureConnectString, tls: { ca: fs.readFileSync(pki.ca) } });
  await Promise.all([plain.connection(), secure.connection()]);
  log(`TLS server at ${tlsServer.connectString} (plain) and ${tlsServer.secureConnectString} (TLS)`);
  return {
    plain,
    secure,
    close: async () => {
      await Promise.all([plain.close(), secure.close()]);
      await tlsServer.stop();
    },
  };
}

async function main(): Promise<void> {
  const wall0 = performance.now();
  const closers: Array<() => Promise<unknown>> = [];
  let server: ZkServer | undefined;
  try {
    let hosts = externalHosts();
    if (!hosts) {
      await ensureZooKeeper();
      // The harness runs the JVM C1-only for quick test startup; a benchmark wants the full JIT.
      server = await startStandalone({ forceSync: cfg.forceSync, fullJit: !argv['c1-only'] });
      hosts = server.connectString;
    }
    const machine = await machineInfo(hosts, server);
    if (server) machine.server += ` (JVM ${server.jvmFlags.filter((f) => /^-X/.test(f)).join(' ')})`;
    log(`ZooKeeper ${machine.zookeeper} at ${hosts}; ${cfg.rounds} rounds${quick ? ' (quick)' : ''}`);
    const floor = await Floor.open(hosts, '/zoosync-bench-floor');
    closers.push(() => floor.close());
    const session = new Session({ hosts });
    closers.push(() => session.close());
    await session.connection();
    const contentions: Contention[] = [];
    if (phases.has('contended')) {
      for (const n of cfg.contendSessions) {
        const c = await Contention.open(hosts, `bench-contended-${n}`, n, cfg.procs);
        closers.push(() => c.close());
        contentions.push(c);
      }
    }
    const rescind = phases.has('rescind') ? await RescindFailover.open(hosts, 'bench-rescind') : undefined;
    if (rescind) closers.push(() => rescind.close());
    // TLS needs a server of our own with a secure port (not possible on ZK_HOSTS).
    const tls = phases.has('tls') && server ? await tlsSessions(cfg.forceSync) : undefined;
    if (tls) closers.push(() => tls.close());

    // Warm-up: lets both JITs (ours and the server's C2) settle before round 1.
    log('warming up');
    const warm = quick ? 200 : 1000;
    if (phases.has('uncontended')) {
      await floor.createListDelete(warm);
      await floor.createDelete(warm);
      await floor.recipeRequests(warm);
      await uncontended(session, warm);
    }
    for (const c of contentions) await c.run(quick ? 300 : 1000);
    if (tls) {
      await uncontended(tls.plain, warm);
      await uncontended(tls.secure, warm);
    }
    await rescind?.run(quick ? 3 : 10);

    const rounds: Round[] = [];
    for (let r = 0; r < cfg.rounds; r++) {
      const round: Round = { cpuUs: {}, contended: {}, rescindMs: [] };
      if (phases.has('uncontended')) {
        round.floorA = await floor.createListDelete(cfg.floorOps);
        let meter = cpuMeter(server?.pid);
        round.floorB = await floor.createDelete(cfg.floorOps);
        round.cpuUs.floorB = perOpUs(meter(), cfg.floorOps);
        meter = cpuMeter(server?.pid);
        round.floorC = await floor.recipeRequests(cfg.floorOps);
        round.cpuUs.floorC = perOpUs(meter(), cfg.floorOps);
        meter = cpuMeter(server?.pid);
        round.lock = await uncontended(session, cfg.lockOps);
        round.cpuUs.lock = perOpUs(meter(), cfg.lockOps);
      }
      for (const c of contentions) {
        const meter = cpuMeter(server?.pid);
        const w = await c.run(cfg.contendMs);
        const use = meter(); // over the window plus the loops' wind-down, so slightly high
        round.contended[c.sessions] = {
          handoffsPerSec: (w.acquired * 1000) / w.elapsedMs,
          wakesPerHandoff: w.wakesDeleted / w.acquired,
          otherWakes: w.wakesOther,
          cpuUs: perOpUs(use, w.acquired),
        };
      }
      if (rescind) round.rescindMs = await rescind.run(cfg.rescindPerRound);
      if (tls) {
        // Alternate which goes first, so drift in the machine's load hits both alike.
        const order = r % 2 === 0 ? (['plain', 'secure'] as const) : (['secure', 'plain'] as const);
        for (const which of order) {
          const result = await uncontended(tls[which], cfg.lockOps);
          if (which === 'plain') round.tlsPlain = result;
          else round.tls = result;
        }
      }
      rounds.push(round);
      log(`round ${r + 1}/${cfg.rounds}: lock ${round.lock?.opsPerSec?.toFixed(0)} ops/s, floor b ${round.floorB?.opsPerSec?.toFixed(0)} ops/s` +
        contentions.map((c) => `, ${c.sessions} sessions ${round.contended[c.sessions]!.handoffsPerSec.toFixed(0)} hand-offs/s`).join(''));
    }
    for (const c of contentions.splice(0)) await c.close();
    await rescind?.close(); // idempotent: the closer runs it again harmlessly
    const reaper = reaperFor(session);
    await reaper.sweep();
    await reaper.sweep();

    const held: Array<Record<string, number | boolean>> = [];
    if (phases.has('held')) {
      log(`holding ${cfg.heldCount} locks at once (${cfg.heldRounds} rounds, child process with --expose-gc)`);
      const w = startWorker('held', { hosts, count: cfg.heldCount, rounds: cfg.heldRounds }, ['--expose-gc']);
      closers.push(() => w.kill());
      for (let i = 0; i < cfg.heldRounds; i++) held.push((await w.next('round', 120_000)) as never);
      await w.next('done');
      w.send({ type: 'close' });
    }
    const kills: KillFailover[] = [];
    if (phases.has('kill')) {
      for (let i = 0; i < cfg.killRuns; i++) {
        log(`leader SIGKILL fail-over ${i + 1}/${cfg.killRuns}`);
        kills.push(await killFailover(hosts, 'bench-kill', cfg.killSessionTimeoutMs));
      }
    }

    // Leave nothing behind on an external server: the empty parents of the bench's own ids.
    const ours = [
      ...cfg.contendSessions.map((n) => regionLockPath(regionLockNamespace(), `bench-contended-${n}`)),
      ...['bench-rescind', 'bench-kill'].map((id) => regionLeaderPath(id)),
    ];
    await Promise.allSettled(ours.map((p) => session.request({ op: 'delete', path: p })));

    const { rows, targets, where } = buildFigures({ cfg, phases, rounds, held, kills });
    const wallMs = performance.now() - wall0;
    const stamp = new Date().toISOString();
    const title = `zoosync benchmark ${stamp}: ${cfg.rounds} rounds, median (min–max) over rounds; wall ${(wallMs / 1000).toFixed(1)} s`;
    process.stdout.write(renderReport(title, machine, rows, targets) + '\n');
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stamp.replace(/:/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify({ stamp, wallMs, machine, config: { ...cfg, phases: [...phases], where }, rows, targets, rounds, held, kills }, null, 2));
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    for (const close of closers.reverse()) await close().catch((e: Error) => log(`cleanup: ${e.message}`));
    killAllWorkers();
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
