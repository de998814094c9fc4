/**
 * The nemesis: every 2-4 s it injects one fault (a ZooKeeper server killed, paused or cut from the
 * quorum while its clients stay on it, sometimes the ensemble leader; a worker's network silenced,
 * cut, silenced one way only, or slowed with jitter; a worker paused or killed), never taking more
 * than one server away at a time, and records each fault with its start and end.
 */
import { sleep, type ZkServer } from '../harness/index.js';
import type { PartitionableEnsemble } from '../../src/testing/quorum-partition.js';
import { now, type FaultKind, type History } from './history.js';
import type { Slot, WorkerPool } from './pool.js';

/** Tunables of the nemesis. */
export interface NemesisOptions {
  sessionTimeoutMs: number;
  /** Pause between fault injections: uniformly in [min, max] ms. */
  intervalMs: [number, number];
}

/** One round of the deck: every kind at least once, the cheap worker-side ones more often. */
const DECK: FaultKind[] = [
  'zk-kill', 'zk-kill-leader', 'zk-pause', 'zk-partition', 'net-silence', 'net-cut', 'worker-pause', 'worker-kill',
  'net-oneway-to-server', 'net-oneway-to-client', 'net-slow', 'net-silence', 'worker-pause', 'net-oneway-to-server', 'net-slow',
];

const between = (lo: number, hi: number): number => Math.round(lo + Math.random() * (hi - lo));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** Injects faults until stopped; `stop()` ends the ones in flight early and heals everything. */
export class Nemesis {
  private readonly halt = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private zkBusy = false;
  private loop: Promise<void> | undefined;

  /** Faults the given ensemble and pool, recording into `history`. */
  constructor(
    private readonly ensemble: PartitionableEnsemble,
    private readonly pool: WorkerPool,
    private readonly history: History,
    private readonly opts: NemesisOptions,
  ) {}

  /** Starts injecting. */
  start(): void {
    this.loop = this.run();
  }

  /** Stops injecting, cuts every fault in flight short, and waits until all are healed. */
  async stop(): Promise<void> {
    this.halt.abort();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  private async run(): Promise<void> {
    // Cycle through the kinds in a shuffled order so a short run still sees most of them.
    let deck: FaultKind[] = [];
    while (!this.halt.signal.aborted) {
      await this.wait(between(...this.opts.intervalMs));
      if (this.halt.signal.aborted) break;
      if (deck.length === 0) deck = shuffle([...DECK]);
      const kind = deck.pop()!;
      const job = this.inject(kind).catch((error: unknown) => {
        this.history.notes.push(`nemesis ${kind} failed: ${(error as Error).message.split('\n')[0]}`);
      });
      this.inFlight.add(job);
      void job.finally(() => this.inFlight.delete(job));
    }
  }

  /** Sleeps `ms`, or less if the nemesis is stopped. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.halt.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.halt.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A slot no fault targets; most of the time one whose worker holds the lock or leads right now. */
  private freeSlot(): Slot | undefined {
    const free = this.pool.slots.filter((s) => !s.busy && s.child?.exitCode === null);
    const holders = this.history.holders();
    const holding = free.filter((s) => holders.includes(s.id));
    if (holding.length && Math.random() < 0.7) return pick(holding);
    return free.length ? pick(free) : undefined;
  }

  private async inject(kind: FaultKind): Promise<void> {
    if (kind.startsWith('zk-')) return this.serverFault(kind);
    const slot = this.freeSlot();
    if (!slot) return;
    slot.busy = true;
    try {
      await this.workerFault(kind, slot);
    } finally {
      slot.busy = false;
    }
  }

  private async serverFault(kind: FaultKind): Promise<void> {
    if (this.zkBusy) return;
    this.zkBusy = true;
    try {
      const leader = await this.ensemble.leader(5000).catch(() => undefined);
      let server: ZkServer;
      if (kind === 'zk-kill-leader') {
        if (!leader) return;
        server = leader;
      } else {
        server = pick(this.ensemble.servers);
        if (kind === 'zk-pause' && server === leader) kind = 'zk-pause-leader';
        if (kind === 'zk-partition' && server === leader) kind = 'zk-partition-leader';
      }
      const name = `zk${this.ensemble.servers.indexOf(server) + 1}`;
      const st = this.opts.sessionTimeoutMs;
      if (kind === 'zk-pause' || kind === 'zk-pause-leader') {
        const f = this.history.fault(kind, name);
        server.pause();
        try {
          await this.wait(st + between(300, 1500));
        } finally {
          server.resume();
          f.end = now();
        }
      } else if (kind === 'zk-partition' || kind === 'zk-partition-leader') {
        // The server keeps its clients but loses the quorum: it must stop serving them, and they move.
        const f = this.history.fault(kind, name);
        this.ensemble.isolate(server);
        try {
          await this.wait(st + between(500, 3000));
        } finally {
          this.ensemble.heal();
          f.end = now();
        }
        await waitRejoined(server);
      } else {
        const f = this.history.fault(kind, name);
        await server.kill();
        await this.wait(between(500, 2500));
        try {
          await server.restart(60_000);
        } finally {
          f.end = now();
        }
      }
      await this.ensemble.leader(30_000); // healed: a quorum with a leader again, before the next server fault
    } finally {
      this.zkBusy = false;
    }
  }

  private async workerFault(kind: FaultKind, slot: Slot): Promise<void> {
    const st = this.opts.sessionTimeoutMs;
    const f = this.history.fault(kind, slot.id, this.history.holders().includes(slot.id) ? 'hits a holder' : undefined);
    try {
      switch (kind) {
        case 'net-silence':
          slot.proxies.silence();
          await this.wait(Math.random() < 0.5 ? between(300, st / 2) : st + between(200, 1500));
          slot.proxies.pass();
          break;
        case 'net-oneway-to-server':
          slot.proxies.silence('toServer'); // requests lost, the server's pings and notifications still arrive
          await this.wait(Math.random() < 0.5 ? between(300, st / 2) : st + between(200, 1500));
          slot.proxies.pass();
          break;
        case 'net-oneway-to-client':
          slot.proxies.silence('toClient'); // requests arrive and are applied, no answer comes back
          await this.wait(Math.random() < 0.5 ? between(300, st / 2) : st + between(200, 1500));
          slot.proxies.pass();
          break;
        case 'net-slow': {
          // Added delay each way plus jitter, sometimes past the liveness bound (2/3 of the session timeout).
          const base = Math.random() < 0.7 ? between(20, st / 6) : between(st / 3, st * 0.8);
          slot.proxies.delay(base, 'both', between(5, base));
          f.note = [f.note, `${Math.round(base)} ms + jitter`].filter(Boolean).join(', ');
          await this.wait(between(1000, 2 * st));
          slot.proxies.delay(0, 'both', 0);
          break;
        }
        case 'net-cut':
          slot.proxies.cut();
          await this.wait(between(200, 1500));
          slot.proxies.pass();
          break;
        case 'worker-pause':
          this.pool.pause(slot);
          await this.wait(st + between(500, 2000));
          this.pool.resume(slot);
          break;
        case 'worker-kill':
          await this.pool.kill(slot);
          f.end = now();
          await sleep(between(100, 600));
          if (!this.halt.signal.aborted) await this.pool.spawn(slot);
          break;
        default:
          throw new Error(`not a worker fault: ${kind}`);
      }
    } finally {
      f.end ??= now();
    }
  }
}

/** Resolves once a healed server serves again (bounded); a server that never rejoins is left to the next fault's leader check. */
async function waitRejoined(server: ZkServer): Promise<void> {
  const deadline = performance.now() + 30_000;
  while ((await server.mode()) === 'down' && performance.now() < deadline) await sleep(100);
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
