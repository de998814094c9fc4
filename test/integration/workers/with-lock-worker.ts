// A child process for the frozen-holder test, forked with IPC. Configured by WITH_LOCK_WORKER
// (JSON: hosts, id, sessionTimeoutMs, holdForMs, freezeAt, resumedFile). Runs withLock and, inside
// fn, writes its fencing token to the parent's fenced store over IPC, about every 100 ms, checking
// `lock.isHeld` before each write. Before write number `freezeAt`, right after the check, it spins
// until `resumedFile` exists: the parent SIGSTOPs us inside the spin and creates the file only
// then, so the stop always lands between the check and the write, and that write goes out late,
// with the token of a lock we no longer hold. Messages: { ev, t, ... } with t = performance.timeOrigin + performance.now().
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, withLock } from '../../../src/index.js';
import { now } from './ipc.js';

interface Config {
  hosts: string;
  id: string;
  sessionTimeoutMs: number;
  holdForMs: number;
  freezeAt: number;
  resumedFile: string;
}

const config = JSON.parse(process.env.WITH_LOCK_WORKER ?? '{}') as Config;
const send = (msg: Record<string, unknown>): void => void process.send?.({ t: now(), ...msg });
/** Sends and resolves once the message is handed to the channel (before we disconnect). */
const flush = (msg: Record<string, unknown>): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send({ t: now(), ...msg }, () => resolve()) : resolve()));

const acks = new Map<number, (accepted: boolean) => void>();
process.on('message', (m: { ev: string; i: number; accepted: boolean }) => {
  if (m.ev === 'ack') acks.get(m.i)?.(m.accepted);
});

/** Sends write `i` to the parent's fenced store and resolves with its verdict. */
function write(i: number, token: bigint, extra: Record<string, unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    acks.set(i, resolve);
    send({ ev: 'write', i, token: token.toString(), ...extra });
  });
}

const session = new Session({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs: 15_000 });
try {
  let extends_ = 0;
  let extendsAtFreeze = -1;
  const result = await withLock(
    config.id,
    async ({ signal, fencingToken, lock }) => {
      const extend = lock.extend.bind(lock);
      lock.extend = (ms: number) => {
        extends_++;
        return extend(ms);
      };
      send({ ev: 'acquired', token: fencingToken.toString(), path: lock.path });
      let writes = 0;
      for (let i = 0; ; i++) {
        if (!lock.isHeld) return { writes, stoppedBefore: i, reason: (signal.reason as Error)?.name, aborted: signal.aborted };
        const checkedAt = performance.now();
        const freeze = i === config.freezeAt;
        if (freeze) extendsAtFreeze = extends_;
        send({ ev: 'checked', i, freeze });
        if (freeze) while (!existsSync(config.resumedFile) && performance.now() - checkedAt < 30_000) {
          // the SIGSTOP lands here, between the check and the write
        }
        await write(i, fencingToken, { sinceCheckMs: performance.now() - checkedAt, signalAborted: signal.aborted });
        writes++;
        await sleep(100);
      }
    },
    { session, holdForMs: config.holdForMs, waitForMs: 10_000 },
  );
  await flush({ ev: 'done', ...result, extends: extends_, extendsAtFreeze });
} catch (error) {
  await flush({ ev: 'error', message: String((error as Error)?.stack ?? error) });
  process.exitCode = 1;
} finally {
  await session.close();
  process.disconnect?.();
}
