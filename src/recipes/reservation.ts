/**
 * Reservations (Go `NewReservation`/`AnonymousRelease`): an item held until its TTL passes,
 * releasable by anyone. The node `<path>/reserve-<id>` holds the expiry as Go's
 * `time.Time.MarshalBinary`. Taking over an expired one is a write conditional on the version
 * read (not Go's read-delete-create), so two racing `reserve` calls never both succeed.
 */
import createDebug from 'debug';
import { BadVersionError, NodeExistsError, NoNodeError, ReservedError } from '../errors.js';
import { encodeGoTime, tryDecodeGoTime } from '../wire/go-time.js';
import { mkdirp } from '../zk/protected-create.js';
import { CreateMode } from '../zk/requests.js';
import type { Session } from '../zk/session.js';

const debug = createDebug('zoosync:lock');

/** The node of a reservation (Go `constructPath`). */
export function reservationPath(path: string, id: string): string {
  return `${path}/reserve-${id}`;
}

/** Reserves `node` until now + `ttlMs`; rejects with `ReservedError` if it is reserved and unexpired. */
export async function reserve(session: Session, parent: string, node: string, ttlMs: number): Promise<void> {
  const conn = await session.connection();
  for (let attempt = 0; attempt < 20; attempt++) {
    const data = encodeGoTime(Date.now() + ttlMs);
    try {
      await conn.request({ op: 'create', path: node, data, mode: CreateMode.PERSISTENT });
      debug('reserved %s for %d ms', node, ttlMs);
      return;
    } catch (error) {
      if (error instanceof NoNodeError) {
        await mkdirp(conn, parent);
        continue;
      }
      if (!(error instanceof NodeExistsError)) throw error;
    }
    let current;
    try {
      current = await conn.request({ op: 'getData', path: node });
    } catch (error) {
      if (error instanceof NoNodeError) continue;
      throw error;
    }
    const expires = tryDecodeGoTime(current.data);
    // Undecodable data counts as expired, as in Go (a zero time is before now).
    if (expires !== undefined && expires > Date.now()) throw new ReservedError(node);
    try {
      // In place, conditional on the version we read: versions only grow, so of two callers that
      // read the same expired reservation exactly one write succeeds.
      await conn.request({ op: 'setData', path: node, data, version: current.stat.version });
      debug('took over expired reservation %s', node);
      return;
    } catch (error) {
      if (!(error instanceof BadVersionError || error instanceof NoNodeError)) throw error;
    }
  }
  throw new ReservedError(node);
}

/** Deletes the reservation node whoever holds it; true if one was there. */
export async function release(session: Session, node: string): Promise<boolean> {
  try {
    await session.request({ op: 'delete', path: node });
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return false;
    throw error;
  }
}
