// A child process for the multi-lock tests, forked with IPC. Mode (argv[2]):
//   mutex <hosts> <ids, comma-separated> <counterFile> <logFile> <durationMs> <worker>
//     for durationMs, with its own Session, takes regionMultiLock over the ids in a random order
//     each round; inside, reads the counter file, sleeps a few ms, writes counter+1, and appends
//     acquire/release records (one clock: performance.timeOrigin + performance.now(), with the
//     fencing tokens) to the log. Reports { worker, acquisitions, failures, lostInside } over IPC.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { regionMultiLock, Session } from '../../../src/index.js';

import { now, readyThenGo, report } from './ipc.js';

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function mutex(hosts: string, ids: string[], counterFile: string, logFile: string, durationMs: number, worker: number): Promise<void> {
  const session = new Session({ hosts, sessionTimeoutMs: 4000, connectTimeoutMs: 15_000 });
  await session.connection();
  await readyThenGo();
  const stop = now() + durationMs;
  let acquisitions = 0;
  let failures = 0;
  let lostInside = 0;
  try {
    while (now() < stop) {
      let locks;
      try {
        locks = await regionMultiLock(shuffled(ids), { session, waitForMs: 20_000, holdForMs: 10_000 });
      } catch (error) {
        failures++;
        process.stderr.write(`worker ${worker}: acquire failed: ${String(error)}\n`);
        continue;
      }
      const tokens = locks.fencingTokens.map(String);
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'acquire', t: now(), tokens, paths: locks.paths })}\n`);
      const value = Number(readFileSync(counterFile, 'utf8'));
      await sleep(2 + Math.floor(Math.random() * 3));
      writeFileSync(counterFile, String(value + 1));
      if (!locks.isHeld) lostInside++;
      appendFileSync(logFile, `${JSON.stringify({ worker, ev: 'release', t: now(), tokens })}\n`);
      acquisitions++;
      await locks.unlock();
    }
  } finally {
    await session.close();
  }
  await report({ worker, acquisitions, failures, lostInside });
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'mutex') {
    const [hosts, ids, counterFile, logFile, durationMs, worker] = args;
    await mutex(hosts!, ids!.split(','), counterFile!, logFile!, Number(durationMs), Number(worker));
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  process.disconnect?.();
} catch (error) {
  process.stderr.write(`multi-lock-worker ${String(mode)} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
}
