/**
 * Contended hand-offs: N sessions on one lock, each looping acquire → unlock, counting successful
 * acquisitions and the waiters' 'deleted' wake-ups (the herd check) inside a timed window.
 * Runs in this process or spread over forked workers (bench/workers/contend.ts).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { regionTimedLock, Session } from '../src/index.js';
import { wakeChannel } from '../src/recipes/contender.js';
import { regionLockNamespace } from '../src/defaults.js';
import { regionLockPath } from '../src/wire/paths.js';
import { startWorker, type Worker } from './child.js';

/** Counts of one window. */
export interface WindowCounts {
  acquired: number;
  wakesDeleted: number;
  wakesOther: number;
  elapsedMs: number;
}

/** N sessions in this process contending for one lock id. */
export class ContenderGroup {
  private readonly sessions: Session[];
  private readonly parent: string;

  /** Opens `n` sessions (connected by `ready()`). */
  constructor(hosts: string, readonly id: string, n: number) {
    this.sessions = Array.from({ length: n }, () => new Session({ hosts }));
    this.parent = regionLockPath(regionLockNamespace(), id);
  }

  /** Connects every session. */
  async ready(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.connection()));
  }

  /** Runs every session's acquire → unlock loop for `durationMs`, then lets them finish; returns the window's counts. */
  async run(durationMs: number): Promise<WindowCounts> {
    const c = { acquired: 0, wakesDeleted: 0, wakesOther: 0, elapsedMs: 0 };
    let open = true;
    const onWake = (m: unknown): void => {
      const { path, cause } = m as { path: string; cause: string };
      if (!open || !path.startsWith(`${this.parent}/`)) return;
      if (cause === 'deleted') c.wakesDeleted++;
      else c.wakesOther++;
    };
    subscribe(wakeChannel.name, onWake);
    const t0 = performance.now();
    const loops = this.sessions.map(async (session) => {
      while (open) {
        const lock = await regionTimedLock(this.id, { session, waitForMs: 60_000, holdForMs: 10_000 });
        if (open) c.acquired++;
        await lock.unlock();
      }
    });
    try {
      await new Promise((r) => setTimeout(r, durationMs));
      open = false;
      c.elapsedMs = performance.now() - t0;
      await Promise.all(loops);
    } finally {
      open = false;
      unsubscribe(wakeChannel.name, onWake);
    }
    return c;
  }

  /** Closes every session. */
  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close()));
  }
}

/** One contended configuration: in this process (`procs` 1) or over `procs` forked workers. */
export class Contention {
  private local: ContenderGroup | undefined;
  private workers: Worker[] = [];

  private constructor(readonly sessions: number, readonly procs: number) {}

  /** Opens `sessions` sessions on lock `id`, split over `procs` processes (1 = this process). */
  static async open(hosts: string, id: string, sessions: number, procs: number): Promise<Contention> {
    const c = new Contention(sessions, procs);
    try {
      if (procs <= 1) {
        c.local = new ContenderGroup(hosts, id, sessions);
        await c.local.ready();
      } else {
        for (let i = 0; i < procs; i++) {
          const n = Math.floor(sessions / procs) + (i < sessions % procs ? 1 : 0);
          c.workers.push(startWorker('contend', { hosts, id, sessions: n }));
        }
        await Promise.all(c.workers.map((w) => w.next('ready')));
      }
    } catch (error) {
      await c.close();
      throw error;
    }
    return c;
  }

  /** Where the sessions run, for the report. */
  get where(): string {
    return this.procs <= 1 ? 'in this process' : `in ${this.procs} child processes`;
  }

  /** One timed window: summed counts over every process. */
  async run(durationMs: number): Promise<WindowCounts> {
    if (this.local) return this.local.run(durationMs);
    for (const w of this.workers) w.send({ type: 'go', durationMs });
    const parts = await Promise.all(this.workers.map((w) => w.next('counts', durationMs + 60_000)));
    const sum = (k: keyof WindowCounts): number => parts.reduce((a, p) => a + Number(p[k]), 0);
    return {
      acquired: sum('acquired'),
      wakesDeleted: sum('wakesDeleted'),
      wakesOther: sum('wakesOther'),
      elapsedMs: Math.max(...parts.map((p) => Number(p.elapsedMs))),
    };
  }

  /** Closes the sessions (or stops the workers). */
  async close(): Promise<void> {
    await this.local?.close();
    for (const w of this.workers) w.send({ type: 'close' });
    await Promise.all(this.workers.map((w) => w.next('closed', 10_000).catch(() => undefined).then(() => w.kill())));
  }
}
