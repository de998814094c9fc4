// A child process for the semaphore and read-write lock tests, forked with IPC. Mode (argv[2]):
//   semaphore <hosts> <id> <permits> <logFile> <durationMs> <worker>
//     takes a permit, stays 5-15 ms, returns it, for durationMs.
//   rwlock <hosts> <id> <counterFile> <logFile> <durationMs> <worker> <writeShare>
//     takes the write side (share writeShare of the rounds) or the read side. A writer reads the
//     counter, waits, writes counter+1; a reader reads it twice with a wait between and counts a
//     torn read if it changed (a writer beside a reader).
// Both append { worker, ev: 'acquire'|'release', t, token, mode } records (one clock) to the log
// and report { worker, acquisitions, failures, lostInside, tornReads } over IPC.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWriteLock, semaphore, Session, type Lock } from '../../../src/index.js';
import { now, readyThenGo, report } from './ipc.js';

const LONG = { waitForMs: 30_000, holdForMs: 10_000 } as const;

async function loop(hosts: string, durationMs: number, worker: number, logFile: string, round: (session: Session) => Promise<{ lock: Lock; mode: string; inside: () => Promise<number> }>): Promise<void> {
  const session = new Session({ hosts, sessionTimeoutMs: 4000, connectTimeoutMs: 15_000 });
  await session.connection();
  await readyThenGo();
  const stop = now() + durationMs;
  let acquisitions = 0;
  let failures = 0;
  let lostInside = 0;
  let tornReads = 0;
  try {
    while (now() < stop) {
      let held;
      try {
        held = await round(session);
      } catch (error) {
        failures++;
        process.stderr.write(`worker ${worker}: acquire failed: ${String(error)}\n`);
        continue;
      }
      const { lock, mode } = held;
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'acquire', t: now(), token: String(lock.fencingToken), mode })}\n`);
      tornReads += await held.inside();
      if (!lock.isHeld) lostInside++;
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'release', t: now(), token: String(lock.fencingToken), mode })}\n`);
      acquisitions++;
      await lock.unlock();
    }
  } finally {
    await session.close();
  }
  await report({ worker, acquisitions, failures, lostInside, tornReads });
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'semaphore') {
    const [hosts, id, permits, logFile, durationMs, worker] = args;
    await loop(hosts!, Number(durationMs), Number(worker), logFile!, async (session) => {
      const lock = await semaphore(id!, { permits: Number(permits), session }).acquire(LONG);
      return { lock, mode: 'permit', inside: async () => (await sleep(5 + Math.floor(Math.random() * 10)), 0) };
    });
  } else if (mode === 'rwlock') {
    const [hosts, id, counterFile, logFile, durationMs, worker, writeShare] = args;
    await loop(hosts!, Number(durationMs), Number(worker), logFile!, async (session) => {
      const rw = readWriteLock(id!, { session });
      const write = Math.random() < Number(writeShare);
      const lock = write ? await rw.writeLock(LONG) : await rw.readLock(LONG);
      const inside = async (): Promise<number> => {
        const value = Number(readFileSync(counterFile!, 'utf8'));
        await sleep(3 + Math.floor(Math.random() * 5));
        if (write) {
          writeFileSync(counterFile!, String(value + 1));
          return 0;
        }
        return Number(readFileSync(counterFile!, 'utf8')) === value ? 0 : 1;
      };
      return { lock, mode: write ? 'write' : 'read', inside };
    });
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  process.disconnect?.();
} catch (error) {
  process.stderr.write(`family-worker ${String(mode)} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
}
