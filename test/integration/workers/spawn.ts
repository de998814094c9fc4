/** Forks a worker of `test/integration/workers/` with IPC: its ready signal, a go, and its final report. */
import { fork, type ChildProcess } from 'node:child_process';

/** A forked worker: `ready` once it reported `{ ready: true }`, `done` with its last other message once it exits 0. */
export interface ForkedWorker<R> {
  child: ChildProcess;
  ready: Promise<void>;
  done: Promise<R>;
}

/** Forks `file` (a URL next to the test) with `args`; stderr is kept for the error of a failed exit. */
export function forkWorker<R>(file: URL, args: string[]): ForkedWorker<R> {
  const child = fork(file, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = new Promise<R>((resolve, reject) => {
    let report: R | undefined;
    child.on('message', (m) => {
      const msg = m as Record<string, unknown>;
      if (msg.ready) readyResolve();
      else report = msg as R;
    });
    child.once('exit', (code) => (report && code === 0 ? resolve(report) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
  done.catch(() => readyResolve());
  return { child, ready, done };
}

/** Starts all workers together, waits for every report (killing all after `limitMs`), and kills any left at the end. */
export async function runTogether<R>(workers: Array<ForkedWorker<R>>, limitMs: number): Promise<R[]> {
  const kill = setTimeout(() => workers.forEach((w) => w.child.kill('SIGKILL')), limitMs);
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) if (w.child.connected) w.child.send({ go: true });
    return await Promise.all(workers.map((w) => w.done));
  } finally {
    clearTimeout(kill);
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
}
