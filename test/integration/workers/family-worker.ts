// A child process for the semaphore and read-write lock tests, forked with IPC. Mode (argv[2]):
//   semaphore <hosts> <id> <permits> <logFile> <durationMs> <worker>
//     takes a permit, stays 5-15 ms, returns it, for durationMs.
//   rwlock <hosts> <id> <counterFile> <logFile> <durationMs> <worker> <writeShare>
//     takes the write side (share writeShare of the rounds) or the read side. A writer reads the
//     counter, waits, writes counter+1; a reader reads it twice with a wait between and counts a
//     torn read if it changed (a writer beside a reader).
// Both append { worker, ev: 'acquire'|'release', t, token, mode } records (one clock) to the log
// and report { worker, acquisitions, failures, lostInside, tornReads } over IPC.
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWriteLock, semaphore } from '../../../src/index.js';
import { hammer } from './hammer.js';

const LONG = { waitForMs: 30_000, holdForMs: 10_000 } as const;

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'semaphore') {
    const [hosts, id, permits, logFile, durationMs, worker] = args;
    await hammer({ hosts: hosts!, durationMs: Number(durationMs), worker: Number(worker), logFile: logFile! }, async (session) => {
      const lock = await semaphore(id!, { permits: Number(permits), session }).acquire(LONG);
      return { held: lock, record: { token: String(lock.fencingToken), mode: 'permit' }, inside: async () => (await sleep(5 + Math.floor(Math.random() * 10)), 0) };
    });
  } else if (mode === 'rwlock') {
    const [hosts, id, counterFile, logFile, durationMs, worker, writeShare] = args;
    await hammer({ hosts: hosts!, durationMs: Number(durationMs), worker: Number(worker), logFile: logFile! }, async (session) => {
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
      return { held: lock, record: { token: String(lock.fencingToken), mode: write ? 'write' : 'read' }, inside };
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
