/**
 * What a lock costs the ZooKeeper server (issue 10): many distinct locks in flight from one
 * process, zoosync against the bare client's create+getChildren+delete and Curator's
 * InterProcessMutex, interleaved round by round on one harness server. Per case: lock+unlock/s,
 * server CPU per op (/proc), client CPU per op, the server's packets per op (`mntr`), and the
 * watches left behind.
 *
 *   npm run build:test --silent && node .build/bench/server-cost.js [--in-flight 1,64] [--rounds 3]
 *     [--ms 3000] [--no-fsync] [--hold-ms 0] [--only zoosync,bare,curator]
 *     [--variant name=/path/to/zoosync/index.js ...]   (other zoosync builds, e.g. a baseline)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureZooKeeper, fourLetter, startStandalone, stopAll, type ZkServer } from '../test/harness/index.js';
import { javaBin } from '../test/harness/zk-install.js';
import { cpuMeter } from './machine.js';

const { values: argv } = parseArgs({
  options: {
    'in-flight': { type: 'string', default: '1,64' },
    rounds: { type: 'string', default: '3' },
    ms: { type: 'string', default: '3000' },
    'no-fsync': { type: 'boolean', default: false },
    'hold-ms': { type: 'string', default: '0' },
    only: { type: 'string', default: 'zoosync,bare,curator' },
    variant: { type: 'string', multiple: true, default: [] },
  },
});
const inFlights = argv['in-flight'].split(',').map(Number);
const rounds = Number(argv.rounds);
const windowMs = Number(argv.ms);
const holdMs = Number(argv['hold-ms']);
const only = new Set(argv.only.split(','));
const log = (s: string): void => void process.stderr.write(`[server-cost] ${s}\n`);

/** One timed window of a case: how many lock+unlock it did, and in how long. */
interface Window {
  ops: number;
  ms: number;
}

/** A case the rounds interleave. */
interface Case {
  name: string;
  /** The client process's pid when it is not this one (Curator's JVM). */
  clientPid?: number;
  run(inFlight: number, ms: number): Promise<Window>;
  close(): Promise<void>;
}

interface ZoosyncModule {
  Session: new (o: { hosts: string }) => { connection(): Promise<unknown>; close(): Promise<void> };
  regionTimedLock(id: string, o: object): Promise<{ unlock(): Promise<void> }>;
}

const hold = (): Promise<void> | undefined => (holdMs > 0 ? new Promise((r) => setTimeout(r, holdMs)) : undefined);

/** zoosync through its public API: `inFlight` loops, each locking and unlocking its own id. */
async function zoosyncCase(name: string, modulePath: string, hosts: string): Promise<Case> {
  const z = (await import(pathToFileURL(modulePath).href)) as ZoosyncModule;
  const session = new z.Session({ hosts });
  await session.connection();
  const prefix = `server-cost-${name}`;
  return {
    name,
    async run(inFlight, ms) {
      let ops = 0;
      const end = performance.now() + ms;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async (_, i) => {
          while (performance.now() < end) {
            const lock = await z.regionTimedLock(`${prefix}-${i}`, { session, waitForMs: 10_000, holdForMs: 10_000 });
            await hold();
            await lock.unlock();
            ops++;
          }
        }),
      );
      return { ops, ms: performance.now() - t0 };
    },
    close: () => session.close(),
  };
}

type Cb<T> = (err: (Error & { getCode?(): number }) | null, v: T) => void;
interface RawClient {
  connect(): void;
  close(): void;
  once(event: string, cb: () => void): void;
  create(path: string, data: Buffer | undefined, mode: number, cb: Cb<string>): void;
  remove(path: string, version: number, cb: (err: Error | null) => void): void;
  getChildren(path: string, cb: Cb<string[]>): void;
  mkdirp(path: string, cb: Cb<string>): void;
}

/** The bare node-zookeeper-client: `inFlight` loops of create (ephemeral-sequential), getChildren, delete, one after another. */
async function bareCase(hosts: string): Promise<Case> {
  const zk = createRequire(import.meta.url)('node-zookeeper-client') as {
    createClient(h: string, o: object): RawClient;
  };
  const c = zk.createClient(hosts, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
  await new Promise<void>((resolve) => {
    c.once('connected', resolve);
    c.connect();
  });
  const call = <T>(start: (cb: Cb<T>) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => start((e, v) => (e ? reject(e) : resolve(v))));
  const root = '/server-cost-bare';
  const parents: string[] = [];
  return {
    name: 'bare',
    async run(inFlight, ms) {
      while (parents.length < inFlight) {
        const p = `${root}/lock-${parents.length}`;
        await call<string>((cb) => c.mkdirp(p, cb));
        parents.push(p);
      }
      let ops = 0;
      const end = performance.now() + ms;
      const t0 = performance.now();
      await Promise.all(
        parents.slice(0, inFlight).map(async (parent) => {
          while (performance.now() < end) {
            const p = await call<string>((cb) => c.create(`${parent}/lock-`, undefined, 3, cb));
            await call<string[]>((cb) => c.getChildren(parent, cb));
            await hold();
            await call<void>((cb) => c.remove(p, -1, (e) => cb(e, undefined)));
            ops++;
          }
        }),
      );
      return { ops, ms: performance.now() - t0 };
    },
    async close() {
      for (const p of parents) await call<void>((cb) => c.remove(p, -1, (e) => cb(e, undefined))).catch(() => undefined);
      await call<void>((cb) => c.remove(root, -1, (e) => cb(e, undefined))).catch(() => undefined);
      c.close();
    },
  };
}

const CURATOR_JARS = ['curator-recipes', 'curator-framework', 'curator-client', 'zookeeper', 'zookeeper-jute', 'guava', 'slf4j-api', 'slf4j-nop'].map(
  (j) => `/usr/share/java/${j}.jar`,
);

/** Curator 5's InterProcessMutex in a JVM of its own (bench/server-cost-curator.java), or undefined when its jars are missing. */
async function curatorCase(hosts: string): Promise<Case | undefined> {
  const missing = CURATOR_JARS.filter((j) => !fs.existsSync(j));
  if (missing.length > 0) {
    log(`Curator skipped: ${missing.join(', ')} missing (apt-get install libcurator-recipes-java slf4j-nop)`);
    return undefined;
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const source = path.resolve(here, '../../bench/server-cost-curator.java');
  const child: ChildProcess = spawn(javaBin(), ['-cp', CURATOR_JARS.join(':'), source, hosts, '/server-cost-curator'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('Curator peer exited');
    return r.value;
  };
  const ready = await next();
  if (!ready.startsWith('ready ')) throw new Error(`Curator peer: ${ready}`);
  return {
    name: 'curator',
    clientPid: Number(ready.split(' ')[1]),
    async run(inFlight, ms) {
      child.stdin!.write(`run ${inFlight} ${ms}\n`);
      const [, ops, elapsed, failures] = (await next()).split(' ');
      if (Number(failures) > 0) log(`Curator: ${failures} failed acquires`);
      return { ops: Number(ops), ms: Number(elapsed) };
    },
    async close() {
      child.stdin!.end('exit\n');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** CPU ms of another process from /proc (user + system), or just its system part. */
function procCpuMs(pid: number, systemOnly = false): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (((systemOnly ? 0 : Number(f[11])) + Number(f[12])) * 1000) / 100;
}

/** Context switches of every thread of a process so far. */
function contextSwitches(pid: number): number {
  let n = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) n += Number(m[1]);
    } catch {
      // the thread ended
    }
  }
  return n;
}

async function mntr(server: ZkServer): Promise<Record<string, number>> {
  const text = await fourLetter(server.host, server.port, 'mntr', 5000);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && /^-?\d+(\.\d+)?$/.test(v.trim())) out[k] = Number(v);
  }
  return out;
}

/** One measured window with everything it cost. */
interface Sample {
  opsPerSec: number;
  serverUsPerOp: number;
  /** The kernel's part of the server's CPU. */
  serverSysUsPerOp: number;
  /** Context switches of the server's threads. */
  serverSwitchesPerOp: number;
  clientUsPerOp: number;
  recvPerOp: number;
  sentPerOp: number;
  watchesAfter: number;
}

async function measure(server: ZkServer, c: Case, inFlight: number): Promise<Sample> {
  const m0 = await mntr(server);
  const meter = cpuMeter(server.pid);
  const other0 = c.clientPid === undefined ? 0 : procCpuMs(c.clientPid);
  const sys0 = procCpuMs(server.pid!, true);
  const cs0 = contextSwitches(server.pid!);
  const w = await c.run(inFlight, windowMs);
  const cpu = meter();
  const other = c.clientPid === undefined ? undefined : procCpuMs(c.clientPid) - other0;
  const sys = procCpuMs(server.pid!, true) - sys0;
  const cs = contextSwitches(server.pid!) - cs0;
  const m1 = await mntr(server);
  const per = (x: number): number => x / w.ops;
  return {
    opsPerSec: (w.ops * 1000) / w.ms,
    serverUsPerOp: per((cpu.serverMs ?? Number.NaN) * 1000),
    serverSysUsPerOp: per(sys * 1000),
    serverSwitchesPerOp: per(cs),
    clientUsPerOp: per((other ?? cpu.clientMs) * 1000),
    // The two mntr connections themselves are not counted as packets.
    recvPerOp: per(m1.zk_packets_received! - m0.zk_packets_received!),
    sentPerOp: per(m1.zk_packets_sent! - m0.zk_packets_sent!),
    watchesAfter: m1.zk_watch_count ?? Number.NaN,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function main(): Promise<void> {
  await ensureZooKeeper();
  const server = await startStandalone({ forceSync: !argv['no-fsync'], fullJit: true });
  const hosts = server.connectString;
  log(`ZooKeeper at ${hosts}, forceSync=${argv['no-fsync'] ? 'no' : 'yes'}, pid ${server.pid}; ${rounds} rounds of ${windowMs} ms; hold ${holdMs} ms`);
  const cases: Case[] = [];
  try {
    if (only.has('zoosync')) {
      const here = path.dirname(fileURLToPath(import.meta.url));
      cases.push(await zoosyncCase('zoosync', path.resolve(here, '../src/index.js'), hosts));
      for (const v of argv.variant) {
        const [name, file] = v.split('=');
        cases.push(await zoosyncCase(name!, path.resolve(file!), hosts));
      }
    }
    if (only.has('bare')) cases.push(await bareCase(hosts));
    if (only.has('curator')) {
      const c = await curatorCase(hosts);
      if (c) cases.push(c);
    }
    log('warming up');
    for (const c of cases) for (const n of inFlights) await c.run(n, Math.min(2000, windowMs));
    const samples = new Map<string, Sample[]>();
    for (let r = 0; r < rounds; r++) {
      for (const n of inFlights) {
        for (const c of r % 2 === 0 ? cases : [...cases].reverse()) {
          const s = await measure(server, c, n);
          const key = `${c.name}@${n}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          log(`round ${r + 1} ${key}: ${fmt(s.opsPerSec, 0)} ops/s, server ${fmt(s.serverUsPerOp)} µs/op (sys ${fmt(s.serverSysUsPerOp)}, ${fmt(s.serverSwitchesPerOp)} switches), client ${fmt(s.clientUsPerOp)} µs/op, packets in ${fmt(s.recvPerOp, 2)} out ${fmt(s.sentPerOp, 2)}, watches after ${s.watchesAfter}`);
        }
      }
    }
    const rows = [...samples].map(([key, ss]) => ({
      case: key,
      opsPerSec: median(ss.map((s) => s.opsPerSec)),
      serverUsPerOp: median(ss.map((s) => s.serverUsPerOp)),
      serverSysUsPerOp: median(ss.map((s) => s.serverSysUsPerOp)),
      serverSwitchesPerOp: median(ss.map((s) => s.serverSwitchesPerOp)),
      clientUsPerOp: median(ss.map((s) => s.clientUsPerOp)),
      recvPerOp: median(ss.map((s) => s.recvPerOp)),
      sentPerOp: median(ss.map((s) => s.sentPerOp)),
      watchesAfter: Math.max(...ss.map((s) => s.watchesAfter)),
    }));
    console.log(`forceSync=${argv['no-fsync'] ? 'no' : 'yes'}, ${rounds} rounds of ${windowMs} ms, hold ${holdMs} ms, medians`);
    console.log('| case | lock+unlock/s | server CPU µs/op (kernel) | server thread switches/op | client CPU µs/op | packets in/op | packets out/op | watches after |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const row of rows) {
      console.log(
        `| ${row.case} | ${fmt(row.opsPerSec, 0)} | ${fmt(row.serverUsPerOp)} (${fmt(row.serverSysUsPerOp)}) | ${fmt(row.serverSwitchesPerOp)} | ${fmt(row.clientUsPerOp)} | ${fmt(row.recvPerOp, 2)} | ${fmt(row.sentPerOp, 2)} | ${row.watchesAfter} |`,
      );
    }
    for (const n of inFlights) {
      const cur = rows.find((r) => r.case === `curator@${n}`);
      if (!cur) continue;
      for (const row of rows.filter((r) => r.case.endsWith(`@${n}`) && r !== cur)) {
        console.log(
          `${row.case} / curator@${n}: rate ${fmt(row.opsPerSec / cur.opsPerSec, 2)}x, server CPU ${fmt(row.serverUsPerOp / cur.serverUsPerOp, 2)}x, client CPU ${fmt(row.clientUsPerOp / cur.clientUsPerOp, 2)}x`,
        );
      }
    }
  } finally {
    for (const c of cases) await c.close().catch((e: Error) => log(`closing ${c.name}: ${e.message}`));
    await stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
