// A child process for the lock tests, forked with IPC. Modes (argv[2]):
//   mutex <hosts> <lockId> <counterFile> <logFile> <durationMs> <worker>
//     hammers one lock for durationMs with its own Session; in the critical section reads the
//     counter file, sleeps a few ms, writes counter+1, and appends acquire/release records
//     (one clock: performance.timeOrigin + performance.now()) to the log. Reports
//     { acquisitions, failures } over IPC.
//   close-while-held <hosts> <lockId>
//     acquires the lock, then closes its Session while holding it; reports { closed: true }.
import { regionTimedLock, Session } from '../../../src/index.js';
import { hammer, incrementCounter } from './hammer.js';
import { report } from './ipc.js';

async function closeWhileHeld(hosts: string, id: string): Promise<void> {
  const session = new Session({ hosts, sessionTimeoutMs: 4000, connectTimeoutMs: 15_000 });
  const lock = await regionTimedLock(id, { session, waitForMs: 10_000, holdForMs: 30_000 });
  await report({ acquired: lock.path });
  await session.close();
  await report({ closed: true, signalAborted: lock.signal.aborted });
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'mutex') {
    const [hosts, id, counterFile, logFile, durationMs, worker] = args;
    await hammer({ hosts: hosts!, durationMs: Number(durationMs), worker: Number(worker), logFile: logFile! }, async (session) => {
      const lock = await regionTimedLock(id!, { session, waitForMs: 20_000, holdForMs: 10_000 });
      return { held: lock, record: { token: lock.fencingToken.toString() }, inside: incrementCounter(counterFile!) };
    });
  } else if (mode === 'close-while-held') {
    const [hosts, id] = args;
    await closeWhileHeld(hosts!, id!);
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  process.disconnect?.();
} catch (error) {
  process.stderr.write(`lock-worker ${String(mode)} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
}
