// A child process for the lead test, forked with IPC. Configured by LEAD_WORKER (JSON: hosts, id,
// sessionTimeoutMs, logFile). Loops `lead(id, fn)` with its own Session until the parent sends
// 'stop'; each fn appends { pid, ev: 'enter' | 'exit', t, token } to the log file (one clock:
// performance.timeOrigin + performance.now()) and holds 100-300 ms, or until leader.signal aborts.
// Reports 'ready', each 'enter' (so the parent can kill a process while it leads), and 'stopped'
// once lead's promise has resolved, with whether a node of its session is left in the election.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lead, leaderSnapshot, Session } from '../../../src/index.js';
import { now } from './ipc.js';

interface Config {
  hosts: string;
  id: string;
  sessionTimeoutMs: number;
  logFile: string;
}

const config = JSON.parse(process.env.LEAD_WORKER ?? '{}') as Config;
const send = (msg: Record<string, unknown>): void => void process.send?.({ pid: process.pid, t: now(), ...msg });
/** Sends and resolves once the message is handed to the channel (before we disconnect). */
const flush = (msg: Record<string, unknown>): Promise<void> =>
  new Promise((resolve) => (process.send ? process.send({ pid: process.pid, t: now(), ...msg }, () => resolve()) : resolve()));
const log = (record: Record<string, unknown>): void => appendFileSync(config.logFile, `${JSON.stringify({ pid: process.pid, ...record })}\n`);

const session = new Session({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs: 15_000 });
const stop = new AbortController();
let stopAt = 0;
process.on('message', (m: { ev: string }) => {
  if (m.ev !== 'stop') return;
  stopAt = now();
  stop.abort(new Error('stop'));
});

try {
  await session.connection();
  const sessionId = session.current?.sessionId;
  send({ ev: 'ready', sessionId });
  let terms = 0;
  const errors: string[] = [];
  await lead(
    config.id,
    async (leader) => {
      terms++;
      const token = leader.fencingToken.toString();
      const enter = now();
      log({ ev: 'enter', t: enter, token, path: leader.path });
      send({ ev: 'enter', token });
      await sleep(100 + Math.random() * 200, undefined, { signal: leader.signal }).catch(() => undefined);
      const reason = leader.signal.aborted ? (leader.signal.reason as { reason?: string }).reason : undefined;
      log({ ev: 'exit', t: now(), token, reason });
    },
    { session, signal: stop.signal, onError: (error) => errors.push(String(error)) },
  );
  const resolvedAt = now();
  const snap = await leaderSnapshot(config.id, { session });
  const nodeLeft = snap.participants.some((p) => p.sessionId === sessionId);
  await flush({ ev: 'stopped', stopAt, resolvedAt, nodeLeft, terms, errors });
} catch (error) {
  await flush({ ev: 'error', message: String((error as Error)?.stack ?? error) });
  process.exitCode = 1;
} finally {
  await session.close();
  process.disconnect?.();
}
