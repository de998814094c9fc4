// A child process for the frozen hand-off test, forked with IPC. Argv: <hosts> <id> <recipe>
// (lock | leader | semaphore | write | short-lease) <sessionTimeoutMs>. `short-lease` is a lock with a
// 4 s lease, which the freeze takes past its refresh point.
// Queues for the recipe with its own Session, then answers each { fresh: true } message with
// { fresh: true } once a request made after it was answered (so that the parent may freeze it
// just after ZooKeeper last heard from it). Once its turn comes it reports { handedOut, aborted,
// reason, stillHeld, leaseLeft }: whether the handle's signal was already aborted when it arrived and
// whether it was still held a moment later (and, for locks, how much lease it came with), then releases and exits.
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from '../../../src/index.js';
import { now, report } from './ipc.js';
import { takeTurn, type TurnRecipe } from './turns.js';

const [hosts, id, recipe, timeout] = process.argv.slice(2) as [string, string, TurnRecipe, string];
const session = new Session({ hosts, sessionTimeoutMs: Number(timeout), connectTimeoutMs: 15_000 });
const conn = await session.connection();
process.on('message', (m) => {
  if ((m as { fresh?: boolean }).fresh) {
    void conn.request({ op: 'exists', path: '/' }).then(() => report({ fresh: true }));
  }
});

try {
  const taking = takeTurn(recipe, id, session, { waitForMs: 60_000, holdForMs: recipe === 'short-lease' ? 4000 : 60_000 });
  await report({ ready: true });
  const handle = await taking;
  const handedOutAt = now();
  const leaseLeft = handle.leaseLeftMs();
  const aborted = handle.signal.aborted;
  const reason = aborted ? String((handle.signal.reason as Error)?.message) : undefined;
  await sleep(300);
  await report({ handedOut: handedOutAt, aborted, reason, stillHeld: handle.held(), leaseLeft, node: handle.path.slice(handle.path.lastIndexOf('-') + 1) });
  await handle.release().catch(() => undefined);
} catch (error) {
  await report({ error: String(error) });
}
await session.close();
process.disconnect?.();
