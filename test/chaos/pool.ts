/**
 * The worker processes of a chaos run: one slot per worker, each with its own proxies in front of
 * the ensemble, the IPC plumbing to the history and the fenced store, and the signals the nemesis
 * sends them (SIGSTOP/SIGCONT/SIGKILL).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startProxies, type ProxyGroup } from '../harness/index.js';
import { registerPid, unregisterPid } from '../harness/registry.js';
import type { FencedStore } from './fenced-store.js';
import { now, type History } from './history.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker.js';

/** One worker position: its proxies outlive the processes that come and go in it. */
export interface Slot {
  index: number;
  proxies: ProxyGroup;
  /** The current incarnation's id, `w<slot>.<incarnation>`. */
  id: string;
  incarnation: number;
  child?: ChildProcess;
  exited?: Promise<void>;
  paused: boolean;
  /** Set while a nemesis fault targets this slot. */
  busy: boolean;
}

/** What every worker shares; `id`, `hosts` and the clock offset (uniform in ±`clockSkewMs`) are filled per incarnation. */
export type SharedWorkerConfig = Omit<WorkerConfig, 'id' | 'hosts' | 'clockOffsetMs'> & { clockSkewMs: number };

/** Spawns, signals and stops the workers, feeding their reports into the history and store. */
export class WorkerPool {
  /** The slots, in order. */
  readonly slots: Slot[] = [];
  private stopping = false;

  /** `hosts` is the ensemble's connect string with our chroot. */
  constructor(
    private readonly hosts: string,
    private readonly shared: SharedWorkerConfig,
    private readonly history: History,
    private readonly store: FencedStore,
    /** When set, each worker runs with DEBUG=zoosync:* and its stderr goes to `<logDir>/<id>.log`. */
    private readonly logDir?: string,
  ) {}

  /** Starts `n` workers, each behind its own proxies; resolves once all report ready. */
  async start(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      const proxies = await startProxies(this.hosts);
      this.slots.push({ index: i, proxies, id: '', incarnation: 0, paused: false, busy: false });
    }
    await Promise.all(this.slots.map((s) => this.spawn(s)));
  }

  /** Starts a new incarnation in `slot`; resolves once it reports ready (or exits). */
  spawn(slot: Slot): Promise<void> {
    slot.incarnation++;
    slot.id = `w${slot.index}.${slot.incarnation}`;
    slot.paused = false;
    const id = slot.id;
    const { clockSkewMs, ...shared } = this.shared;
    const clockOffsetMs = Math.round((Math.random() * 2 - 1) * clockSkewMs);
    const config: WorkerConfig = { ...shared, id, hosts: slot.proxies.connectString, clockOffsetMs };
    const child = fork(new URL('./worker.js', import.meta.url), [], {
      env: { ...process.env, CHAOS_WORKER: JSON.stringify(config), ...(this.logDir ? { DEBUG: 'zoosync:*', DEBUG_COLORS: '0' } : {}) },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    slot.child = child;
    const pid = child.pid;
    if (pid !== undefined) registerPid(pid);
    let stderr = '';
    const logFile = this.logDir ? fs.createWriteStream(path.join(this.logDir, `${id}.log`)) : undefined;
    child.stderr?.on('data', (d: Buffer) => {
      logFile?.write(d);
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.stderr?.on('close', () => logFile?.end());
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    let stopped = false;
    child.on('message', (m: FromWorker) => {
      if (m.type === 'event') {
        this.history.event(id, m.ev);
        if (m.ev.kind === 'ready') ready();
        if (m.ev.kind === 'stopped') stopped = true;
      } else if (m.type === 'write') {
        const accepted = this.store.write(id, m);
        if (child.connected) child.send({ type: 'write-reply', id: m.id, accepted } satisfies ToWorker, () => undefined);
      }
    });
    child.on('error', () => undefined);
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (pid !== undefined) unregisterPid(pid);
        const known = this.history.exits.some((e) => e.worker === id);
        if (!known) {
          const how = stopped && code === 0 ? 'stopped' : this.stopping ? 'killed-at-teardown' : 'crashed';
          this.history.exits.push({ worker: id, t: now(), how, detail: `code ${code} signal ${signal} ${stderr.trim().slice(-600)}` });
        }
        ready();
        resolve();
      });
    });
    return isReady;
  }

  /** SIGSTOPs a worker (a long GC pause). */
  pause(slot: Slot): void {
    slot.child?.kill('SIGSTOP');
    slot.paused = true;
  }

  /** SIGCONTs a paused worker. */
  resume(slot: Slot): void {
    slot.child?.kill('SIGCONT');
    slot.paused = false;
  }

  /** SIGKILLs a worker, records it, and waits for the process to go. */
  async kill(slot: Slot): Promise<void> {
    this.history.exits.push({ worker: slot.id, t: now(), how: 'killed' });
    slot.child?.kill('SIGKILL');
    slot.child?.kill('SIGCONT');
    await slot.exited;
  }

  /** Resumes paused workers, asks every worker to stop, and SIGKILLs those that do not exit within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    for (const s of this.slots) if (s.paused) this.resume(s);
    for (const s of this.slots) {
      for (const p of s.proxies.proxies) p.pass();
      if (s.child?.connected) s.child.send({ type: 'stop' } satisfies ToWorker, () => undefined);
    }
    await Promise.all(
      this.slots.map(async (s) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
        const r = await Promise.race([s.exited, late]);
        clearTimeout(timer);
        if (r === 'late') {
          this.history.exits.push({ worker: s.id, t: now(), how: 'crashed', detail: `did not stop within ${graceMs} ms` });
          this.stopping = true;
          s.child?.kill('SIGKILL');
          await s.exited;
        }
      }),
    );
    this.stopping = true;
  }

  /** Last-resort teardown on every path: SIGCONT then SIGKILL every worker, close every proxy. */
  async destroy(): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) {
      s.child?.kill('SIGCONT');
      s.child?.kill('SIGKILL');
    }
    await Promise.all(this.slots.map((s) => s.exited));
    await Promise.all(this.slots.map((s) => s.proxies.close()));
  }
}
