/** The loop the hammering workers share: take, log, work inside, log, release, for a while, on one Session. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from '../../../src/index.js';
import { now, readyThenGo, report } from './ipc.js';

/** What a round holds: a lock, a permit or a multi-lock. */
export interface Held {
  readonly isHeld: boolean;
  unlock(): Promise<void>;
}

/** One round's hold, what its log records carry, and the work inside (resolving with torn reads seen). */
export interface Round {
  held: Held;
  /** Fields of the acquire record, and of the release record unless `release` is given. */
  record: Record<string, unknown>;
  release?: Record<string, unknown>;
  inside: () => Promise<number>;
}

/** Where a hammering worker runs and logs. */
export interface HammerOptions {
  hosts: string;
  durationMs: number;
  worker: number;
  logFile: string;
}

/**
 * Runs rounds for `durationMs` with its own Session after the parent's go, appending
 * `{ worker, ev: 'acquire'|'release', t, ...record }` lines (one clock) to the log, and reports
 * `{ worker, acquisitions, failures, lostInside, tornReads }` over IPC.
 */
export async function hammer(opts: HammerOptions, take: (session: Session) => Promise<Round>): Promise<void> {
  const session = new Session({ hosts: opts.hosts, sessionTimeoutMs: 4000, connectTimeoutMs: 15_000 });
  await session.connection();
  // Start together: wait for the parent's go (or start at once without IPC).
  await readyThenGo();
  const stop = now() + opts.durationMs;
  const log = (ev: string, fields: Record<string, unknown>): void => appendFileSync(opts.logFile, `${JSON.stringify({ worker: opts.worker, ev, t: now(), ...fields })}\n`);
  let acquisitions = 0;
  let failures = 0;
  let lostInside = 0;
  let tornReads = 0;
  try {
    while (now() < stop) {
      let round: Round;
      try {
        round = await take(session);
      } catch (error) {
        failures++;
        process.stderr.write(`worker ${opts.worker}: acquire failed: ${String(error)}\n`);
        continue;
      }
      log('acquire', round.record);
      tornReads += await round.inside();
      if (!round.held.isHeld) lostInside++;
      log('release', round.release ?? round.record);
      acquisitions++;
      await round.held.unlock();
    }
  } finally {
    await session.close();
  }
  await report({ worker: opts.worker, acquisitions, failures, lostInside, tornReads });
}

/** Work inside a mutex: read the counter file, wait `minMs` plus up to `spreadMs`, write counter + 1. */
export function incrementCounter(counterFile: string, minMs = 2, spreadMs = 3): () => Promise<number> {
  return async () => {
    const value = Number(readFileSync(counterFile, 'utf8'));
    await sleep(minMs + Math.floor(Math.random() * spreadMs));
    writeFileSync(counterFile, String(value + 1));
    return 0;
  };
}
