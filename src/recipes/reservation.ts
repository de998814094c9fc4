/**
 * Reservations (Go `NewReservation`/`AnonymousRelease`): an item held until its TTL passes,
 * releasable by anyone. The node `<path>/reserve-<id>` holds the expiry as Go's
 * `time.Time.MarshalBinary`. Taking over an expired one is a write conditional on the version
 * read (not Go's read-delete-create), and zoosync never deletes the node (a release writes an
 * expired time), so its version only grows and two racing `reserve` calls never both succeed.
 */
import createDebug from 'debug';
import { BadVersionError, NodeExistsError, NoNodeError, ReservedError } from '../errors.js';
import { encodeGoTime, GO_UNIX_EPOCH_OFFSET_SECONDS, tryDecodeGoTime } from '../wire/go-time.js';
import type { Connection } from '../zk/connection.js';
import { mkdirp } from '../zk/protected-create.js';
import { CreateMode } from '../zk/requests.js';
import type { ResolvedAclEntry } from '../zk/security.js';
import type { Session } from '../zk/session.js';

const debug = createDebug('zoosync:lock');

/** Lost races before `reserve` gives up with `ReservedError` (and `release` stops conditioning its write). */
const MAX_ATTEMPTS = 20;
/** Creates after which a parent that keeps vanishing (an empty container the server reaped) is an error, as in the engine. */
const MAX_PARENT_ATTEMPTS = 5;

/** Go's zero `time.Time` (0001-01-01T00:00:00Z) as `MarshalBinary` writes it: what a release leaves, expired on every clock. */
export const RELEASED = encodeGoTime(-GO_UNIX_EPOCH_OFFSET_SECONDS * 1_000_000_000n);

/** The node of a reservation (Go `constructPath`). */
export function reservationPath(path: string, id: string): string {
  return `${path}/reserve-${id}`;
}

/** A reservation node as read: its expiry in Unix ms (undefined when the data is not a time) and its version. */
export interface ReservationState {
  expiresAt: number | undefined;
  version: number;
}

/** Reads the reservation node, undefined if there is none (the read step of Go `Reserve`); internal, exported for tests. */
export async function readReservation(conn: Connection, node: string): Promise<ReservationState | undefined> {
  try {
    const { data, stat } = await conn.request({ op: 'getData', path: node });
    return { expiresAt: tryDecodeGoTime(data), version: stat.version };
  } catch (error) {
    if (error instanceof NoNodeError) return undefined;
    throw error;
  }
}

/** True once the reservation's expiry has passed; data that is not a time counts as expired, as in Go (a zero time is before now). */
export function isExpired(state: ReservationState, now = Date.now()): boolean {
  return state.expiresAt === undefined || state.expiresAt <= now;
}

/**
 * Takes over the reservation read as `seen` for `ttlMs` (Go `Reserve`'s delete-and-create, done
 * as one write conditional on `seen.version`): rejects with `ReservedError` if `seen` is live by
 * our clock less `skewMs` (the session's `maxClockSkewMs`: a holder whose clock runs behind ours
 * still believes in it), resolves false if someone wrote or removed the node since it was read.
 * Internal, exported so a test can pause between the read and this write.
 */
export async function takeOver(conn: Connection, node: string, ttlMs: number, seen: ReservationState, skewMs = 0): Promise<boolean> {
  if (!isExpired(seen, Date.now() - skewMs)) throw new ReservedError(node);
  const taken = await writeIfUnchanged(conn, node, encodeGoTime(Date.now() + ttlMs), seen.version);
  if (taken) debug('took over expired reservation %s', node);
  return taken;
}

/** Writes `data` if the node is still at `version` (-1: any); false if it moved on or is gone. */
async function writeIfUnchanged(conn: Connection, node: string, data: Buffer, version: number): Promise<boolean> {
  try {
    await conn.request({ op: 'setData', path: node, data, version });
    return true;
  } catch (error) {
    if (error instanceof BadVersionError || error instanceof NoNodeError) return false;
    throw error;
  }
}

/**
 * Creates the reservation node for `ttlMs`, and its parents as containers (reaped by the server
 * once empty) if they are missing; false if the node exists. A parent removed between our mkdirp
 * and create (an empty container the server just reaped) is made again, up to 5 times.
 */
async function createReservation(conn: Connection, parent: string, node: string, ttlMs: number, acl?: readonly ResolvedAclEntry[]): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await conn.request({ op: 'create', path: node, data: encodeGoTime(Date.now() + ttlMs), mode: CreateMode.PERSISTENT, ...(acl ? { acl } : {}) });
      debug('reserved %s for %d ms', node, ttlMs);
      return true;
    } catch (error) {
      if (error instanceof NodeExistsError) return false;
      if (!(error instanceof NoNodeError) || attempt > MAX_PARENT_ATTEMPTS) throw error;
      await mkdirp(conn, parent, { container: true, acl });
    }
  }
}

/** Reserves `node` until now + `ttlMs` (Go `Reservation.Reserve`); rejects with `ReservedError` if it is reserved and unexpired. */
export async function reserve(session: Session, parent: string, node: string, ttlMs: number, acl?: readonly ResolvedAclEntry[]): Promise<void> {
  const conn = await session.connection();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createReservation(conn, parent, node, ttlMs, acl)) return;
    const seen = await readReservation(conn, node);
    // Gone since the create (a Go service's Release deletes it): create again.
    if (seen === undefined) continue;
    if (await takeOver(conn, node, ttlMs, seen, session.options.maxClockSkewMs)) return;
  }
  throw new ReservedError(node);
}

/**
 * Ends the reservation whoever holds it (Go `Reservation.Release`/`AnonymousRelease`) by writing
 * Go's zero time over it, never deleting the node (a delete would let versions start again at 0
 * and a stale takeover land on a fresh reservation). Resolves true if a live reservation was
 * ended, false if there was none or it had already expired or been released.
 */
export async function release(session: Session, node: string): Promise<boolean> {
  const conn = await session.connection();
  for (let attempt = 1; ; attempt++) {
    const seen = await readReservation(conn, node);
    if (seen === undefined || isExpired(seen)) return false;
    // Each lost race means another write landed in between; past the limit, write whatever is there.
    if (await writeIfUnchanged(conn, node, RELEASED, attempt < MAX_ATTEMPTS ? seen.version : -1)) return true;
  }
}
