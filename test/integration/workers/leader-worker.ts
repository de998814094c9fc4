// A separate process that campaigns for a region leadership and reports what happens to its
// parent over IPC: { ev, t, ... } with t = performance.timeOrigin + performance.now() (one clock
// on one machine, comparable across processes). Configured by LEADER_WORKER (JSON):
//   mode 'loop'     campaign, hold 20-80 ms, rescind, again, for durationMs; then close and exit
//   mode 'hold'     campaign once and hold until killed
//   mode 'graceful' like 'hold', after installShutdownHandlers(): SIGTERM must hand over and exit
//   mode 'close'    campaign, wait for a second contender, close the Session while leading
//   mode 'close-waiting' campaign behind another leader, close the Session while waiting
//   mode 'close-rescind' campaign, then session.close() and leader.rescind() in the same tick
import {
  closeDefaultSessions,
  configure,
  installShutdownHandlers,
  leaderSnapshot,
  regionLeader,
  Session,
  type Leader,
} from '../../../src/index.js';

interface Config {
  mode: 'loop' | 'hold' | 'graceful' | 'close' | 'close-waiting' | 'close-rescind';
  hosts: string;
  id: string;
  sessionTimeoutMs: number;
  durationMs?: number;
}

const config = JSON.parse(process.env.LEADER_WORKER ?? '{}') as Config;
const now = (): number => performance.timeOrigin + performance.now();
const send = (msg: Record<string, unknown>): void => {
  const line = { pid: process.pid, t: now(), ...msg };
  if (process.send) process.send(line);
  else process.stdout.write(`${JSON.stringify(line)}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function report(leader: Leader): void {
  send({ ev: 'elected', path: leader.path, token: leader.fencingToken.toString() });
  // The end of a term is stamped when the signal aborts: synchronously, before our node's delete
  // is even sent, so a preempted worker cannot make a correct hand-over look like an overlap.
  let endedAt = 0;
  leader.signal.addEventListener('abort', () => (endedAt = now()), { once: true });
  leader.once('rescinded', (reason: string) =>
    send({ ev: 'rescinded', path: leader.path, reason, aborted: leader.signal.aborted, t: endedAt, reportedAt: now() }),
  );
}

async function loop(): Promise<void> {
  const until = performance.now() + (config.durationMs ?? 5000);
  let terms = 0;
  while (performance.now() < until) {
    const leader = await regionLeader(config.id);
    report(leader);
    terms++;
    await sleep(20 + Math.random() * 60);
    await leader.rescind();
  }
  await closeDefaultSessions();
  send({ ev: 'done', terms });
}

async function hold(): Promise<void> {
  if (config.mode === 'graceful') installShutdownHandlers();
  send({ ev: 'campaigning' });
  const leader = await regionLeader(config.id);
  report(leader);
  await leader.rescinded;
  await sleep(300_000); // until killed
}

async function closeWhileLeading(): Promise<void> {
  const session = new Session({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs });
  const leader = await regionLeader(config.id, { session });
  report(leader);
  let events = 0;
  let abortedInListener = false;
  leader.on('rescinded', () => {
    events++;
    abortedInListener = leader.signal.aborted;
  });
  for (;;) {
    if ((await leaderSnapshot(config.id, { session })).participants.length >= 2) break;
    await sleep(20);
  }
  send({ ev: 'closing' });
  const closed = session.close();
  const reason = await leader.rescinded;
  await closed;
  await sleep(300);
  const signalReason = leader.signal.reason as { reason?: string } | undefined;
  send({ ev: 'result', reason, events, abortedInListener, signalReason: signalReason?.reason });
}

async function closeWhileWaiting(): Promise<void> {
  const session = new Session({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs });
  const campaign = regionLeader(config.id, { session });
  campaign.catch(() => undefined);
  for (;;) {
    if ((await leaderSnapshot(config.id, { session })).participants.length >= 2) break;
    await sleep(20);
  }
  send({ ev: 'closing' });
  await session.close();
  const outcome = await campaign.then(
    (leader) => ({ outcome: 'elected', path: leader.path }),
    (error: unknown) => ({ outcome: 'rejected', error: (error as Error)?.name, message: (error as Error)?.message }),
  );
  send({ ev: 'result', ...outcome });
}

async function closeThenRescind(): Promise<void> {
  const session = new Session({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs });
  const leader = await regionLeader(config.id, { session });
  report(leader);
  send({ ev: 'closing' });
  const closed = session.close();
  const rescinded = leader.rescind();
  await Promise.all([closed, rescinded]);
  send({ ev: 'result', reason: await leader.rescinded });
}

configure({ hosts: config.hosts, sessionTimeoutMs: config.sessionTimeoutMs });
const modes = { loop, hold, graceful: hold, close: closeWhileLeading, 'close-waiting': closeWhileWaiting, 'close-rescind': closeThenRescind };
const run = modes[config.mode];
run().catch((error: unknown) => {
  send({ ev: 'error', message: String((error as Error)?.stack ?? error) });
  process.exitCode = 1;
});
