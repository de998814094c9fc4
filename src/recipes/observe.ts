/**
 * Who leads and who waits (Curator `getLeader`/`getParticipants`, etcd `Observe`): a snapshot of
 * an election's nodes in order, and a stream of snapshots as it changes.
 */
import { NoNodeError, type ZoosyncError } from '../errors.js';
import { guidOf, parseSequence, sortContenders } from '../wire/node-name.js';
import type { Session } from '../zk/session.js';
import { waitFirst } from './wait.js';

/** One contender of an election. */
export interface Participant {
  name: string;
  path: string;
  sequence: number;
  /** The owning ZooKeeper session id, as hex. */
  sessionId: string;
  /** The node's czxid: the fencing token it has (or would have) as leader. */
  czxid: bigint;
  /** The protected-create guid, if the node has one. */
  guid: string | undefined;
  /** What the participant published (`regionLeader({ data })`, `proclaim`); empty for Go's. */
  data: Buffer;
  /** When the node was created, in Unix ms by the server's clock (its ctime). */
  createdMs: number;
}

/** An election's state: `led` with its leader (the lowest node), or `no-leader`; everyone in order. */
export interface ElectionSnapshot {
  state: 'led' | 'no-leader';
  leader: Participant | undefined;
  participants: Participant[];
}

/** Reads the election under `parent` once; `watch` is set on its children if given. */
export async function snapshot(session: Session, parent: string, watch?: () => void): Promise<ElectionSnapshot> {
  const conn = await session.connection();
  let names: string[];
  try {
    names = await conn.request({ op: 'getChildren', path: parent, ...(watch ? { watch: () => watch() } : {}) });
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
    if (watch) await conn.request({ op: 'exists', path: parent, watch: () => watch() });
    return { state: 'no-leader', leader: undefined, participants: [] };
  }
  const sorted = sortContenders(names);
  // The first one's data is watched too: a leader that proclaims something new is a change.
  const nodes = await Promise.all(
    sorted.map((name, i) =>
      conn.request({ op: 'getData', path: `${parent}/${name}`, ...(watch && i === 0 ? { watch: () => watch() } : {}) }).catch((error: unknown) => {
        if (error instanceof NoNodeError) return undefined;
        throw error;
      }),
    ),
  );
  const participants: Participant[] = [];
  sorted.forEach((name, i) => {
    const node = nodes[i];
    if (!node) return;
    const stat = node.stat;
    participants.push({
      name,
      path: `${parent}/${name}`,
      sequence: parseSequence(name)!,
      sessionId: BigInt.asUintN(64, stat.ephemeralOwner).toString(16).padStart(16, '0'),
      czxid: stat.czxid,
      guid: guidOf(name),
      data: node.data,
      createdMs: stat.ctime,
    });
  });
  const leader = participants[0];
  return { state: leader === undefined ? 'no-leader' : 'led', leader, participants };
}

/** Yields a snapshot now and again after every change, riding out outages, until `signal` aborts. */
export async function* observe(session: Session, parent: string, signal?: AbortSignal): AsyncGenerator<ElectionSnapshot> {
  for (let failures = 0; !signal?.aborted; ) {
    let poke: () => void = () => undefined;
    const changed = new Promise<string>((resolve) => (poke = () => resolve('changed')));
    let view: ElectionSnapshot;
    let lost: AbortSignal;
    try {
      const conn = await waitFirst({ promise: session.connection(), signal });
      lost = conn.signal;
      view = await waitFirst({ promise: snapshot(session, parent, () => poke()), signal });
      failures = 0;
    } catch (error) {
      if (signal?.aborted) return;
      if (!(error as ZoosyncError).retryable) throw error;
      // ZooKeeper unreachable or the session gone: try again, backing off.
      await waitFirst({ signal, timers: [{ at: performance.now() + Math.min(5000, 100 * 2 ** failures++), value: 'retry' }] }).catch(() => undefined);
      continue;
    }
    yield view;
    await waitFirst({ promise: changed, signal, lost }).catch(() => undefined);
  }
}
