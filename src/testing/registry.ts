/** Process-wide registry of everything the harness starts, so nothing outlives the tests. */
import * as fs from 'node:fs';

/** Something the harness can tear down asynchronously (a server, a proxy). */
export interface Stoppable {
  stop(): Promise<void>;
}

const stoppables = new Set<Stoppable>();
const pids = new Set<number>();
const dirs = new Set<string>();
let handlersInstalled = false;

/** Registers a live harness object; `stopAll()` stops it. */
export function registerStoppable(s: Stoppable): void {
  stoppables.add(s);
  installHandlers();
}

/** Forgets a harness object that stopped on its own. */
export function unregisterStoppable(s: Stoppable): void {
  stoppables.delete(s);
}

/** Registers a child pid that must be SIGKILLed if the test process exits. */
export function registerPid(pid: number): void {
  pids.add(pid);
  installHandlers();
}

/** Forgets a child pid once it has exited (so a reused pid is never signalled). */
export function unregisterPid(pid: number): void {
  pids.delete(pid);
}

/** Registers a temporary directory to remove at `stopAll()` or exit. */
export function registerDir(dir: string): void {
  dirs.add(dir);
  installHandlers();
}

/** Removes a registered directory now. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Snapshot of what is currently registered (for assertions and diagnostics). */
export function harnessResources(): { pids: number[]; dirs: string[]; stoppables: number } {
  return { pids: [...pids], dirs: [...dirs], stoppables: stoppables.size };
}

/** Stops every registered server and proxy, then removes every registered directory. */
export async function stopAll(): Promise<void> {
  const all = [...stoppables];
  stoppables.clear();
  const results = await Promise.allSettled(all.map((s) => s.stop()));
  killAllSync();
  for (const d of [...dirs]) removeDir(d);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Synchronous last resort: SIGKILL (then SIGCONT, for paused ones) every pid, remove every dir. */
function killAllSync(): void {
  for (const pid of pids) {
    for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }
  pids.clear();
}

function cleanupSync(): void {
  killAllSync();
  for (const d of dirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
  dirs.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupSync);
  process.once('SIGINT', () => {
    cleanupSync();
    process.exit(130);
  });
  process.once('SIGTERM', () => {
    cleanupSync();
    process.exit(143);
  });
}
