// A child process for the lock tests, forked with IPC. Modes (argv[2]):
//   mutex <hosts> <lockId> <counterFile> <logFile> <durationMs> <worker>
//     hammers one lock for durationMs with its own Session; in the critical section reads the
//     counter file, sleeps a few ms, writes counter+1, and appends acquire/release records
//     (one clock: performance.timeOrigin + performance.now()) to the log. Reports
//     { acquisitions, failures } over IPC.
//   close-while-held <hosts> <lockId>
//     acquires the lock, then closes its Session while holding it; reports { closed: true }.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { regionTimedLock, Session } from '../../../src/index.js';

import { now, readyThenGo, report } from './ipc.js';

async function mutex(hosts: string, id: string, counterFile: string, logFile: string, durationMs: number, worker: number): Promise<void> {
  const session = new Session({ hosts, sessionTimeoutMs: 4000, connectTimeoutMs: 15_000 });
  await session.connection();
  // Start together: wait for the parent's go (or start at once without IPC).
  await readyThenGo();
  const stop = now() + durationMs;
  let acquisitions = 0;
  let failures = 0;
  let lostInside = 0;
  try {
    while (now() < stop) {
      let lock;
      try {
        lock = await regionTimedLock(id, { session, waitForMs: 20_000, holdForMs: 10_000 });
      } catch (error) {
        failures++;
        process.stderr.write(`worker ${worker}: acquire failed: ${String(error)}\n`);
        continue;
      }
      const acquiredAt = now();
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'acquire', t: acquiredAt, token: lock.fencingToken.toString() })}\n`);
      const value = Number(readFileSync(counterFile, 'utf8'));
      await sleep(2 + Math.floor(Math.random() * 3));
      writeFileSync(counterFile, String(value + 1));
      if (lock.signal.aborted) lostInside++;
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'release', t: now(), token: lock.fencingToken.toString() })}\n`);
      acquisitions++;
      await lock.unlock();
    }
  } finally {
    await session.close();
  }
  await report({ worker, acquisitions, failures, lostInside });
}

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
    await mutex(hosts!, id!, counterFile!, logFile!, Number(durationMs), Number(worker));
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
