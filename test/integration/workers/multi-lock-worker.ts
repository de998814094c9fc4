// A child process for the multi-lock tests, forked with IPC. Mode (argv[2]):
//   mutex <hosts> <ids, comma-separated> <counterFile> <logFile> <durationMs> <worker>
//     for durationMs, with its own Session, takes regionMultiLock over the ids in a random order
//     each round; inside, reads the counter file, sleeps a few ms, writes counter+1, and appends
//     acquire/release records (one clock: performance.timeOrigin + performance.now(), with the
//     fencing tokens) to the log. Reports { worker, acquisitions, failures, lostInside } over IPC.
import { regionMultiLock } from '../../../src/index.js';
import { hammer, incrementCounter } from './hammer.js';

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'mutex') {
    const [hosts, ids, counterFile, logFile, durationMs, worker] = args;
    await hammer({ hosts: hosts!, durationMs: Number(durationMs), worker: Number(worker), logFile: logFile! }, async (session) => {
      const locks = await regionMultiLock(shuffled(ids!.split(',')), { session, waitForMs: 20_000, holdForMs: 10_000 });
      const tokens = locks.fencingTokens.map(String);
      return { held: locks, record: { tokens, paths: locks.paths }, release: { tokens }, inside: incrementCounter(counterFile!) };
    });
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  process.disconnect?.();
} catch (error) {
  process.stderr.write(`multi-lock-worker ${String(mode)} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
}
