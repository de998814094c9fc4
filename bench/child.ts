/**
 * Forked benchmark workers (bench/workers/*.js) over IPC: start one, wait for a message of a given
 * type, and kill every worker still alive on any exit path.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A message a worker sends: `type` plus whatever it reports. */
export interface WorkerMessage {
  type: string;
  [key: string]: unknown;
}

const live = new Set<ChildProcess>();

/** A running worker process. */
export class Worker {
  private readonly inbox: WorkerMessage[] = [];
  private waiters: Array<() => void> = [];
  private exitedWith: string | undefined;

  /** Use `startWorker()`. */
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: WorkerMessage) => {
      this.inbox.push(m);
      this.wake();
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      this.exitedWith = signal ?? `code ${code}`;
      this.wake();
    });
  }

  /** The worker's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a message to the worker. */
  send(message: WorkerMessage): void {
    this.child.send(message);
  }

  /** Resolves with the next message of `type`; rejects on an `error` message, on exit, or after `timeoutMs`. */
  async next(type: string, timeoutMs = 60_000): Promise<WorkerMessage> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (i !== -1) {
        const [m] = this.inbox.splice(i, 1);
        if (m!.type === 'error') throw new Error(`worker ${this.pid}: ${String(m!.message)}`);
        return m!;
      }
      if (this.exitedWith !== undefined) throw new Error(`worker ${this.pid} exited (${this.exitedWith}) before sending "${type}"`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`worker ${this.pid}: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** SIGKILLs the worker and resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.exitedWith !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Forks `bench/workers/<name>.js` with `execArgv` (e.g. `--expose-gc`) and its config in env `BENCH_WORKER`. */
export function startWorker(name: string, config: Record<string, unknown>, execArgv: string[] = []): Worker {
  const file = fileURLToPath(new URL(`./workers/${name}.js`, import.meta.url));
  const child = fork(file, [], {
    execArgv,
    env: { ...process.env, BENCH_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  return new Worker(child);
}

/** SIGKILLs every worker still running (safe to call on any path). */
export function killAllWorkers(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

process.on('exit', killAllWorkers);
