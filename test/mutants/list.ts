/**
 * The seeded safety bugs: each a search/replace on one or more files of a copy of the repo, the
 * property it breaks, and the tests expected to catch it (a file, optionally narrowed to some of
 * its tests by name). The chaos run is the backstop for all of them.
 */

/** One textual edit: `search` must occur exactly once in `file`. */
export interface Edit {
  file: string;
  search: string;
  replace: string;
}

/** A test file to run (relative to `test/`, no extension), optionally only the tests with these names. */
export interface TestRef {
  file: string;
  names?: string[];
}

/** One seeded bug. */
export interface Mutant {
  name: string;
  /** What the bug breaks, in one line. */
  breaks: string;
  edits: Edit[];
  tests: TestRef[];
}

const LOCK = 'src/recipes/lock.ts';
const LEADER = 'src/recipes/leader.ts';
const CONTENDER = 'src/recipes/contender.ts';
const GUARD = 'src/recipes/node-guard.ts';
const MULTI = 'src/recipes/multi-lock.ts';
const SEMAPHORE = 'src/recipes/semaphore.ts';
const READ_WRITE = 'src/recipes/read-write-lock.ts';
const RESERVATION = 'src/recipes/reservation.ts';
const CONN = 'src/zk/connection.ts';

/** Every seeded bug, in the order `npm run mutants` tries them. */
export const MUTANTS: Mutant[] = [
  {
    name: 'lock-signal-not-aborted-on-suspension',
    breaks: 'a holder is not told when its connection is suspended',
    edits: [{ file: LOCK, search: "if (change === 'suspended') this.lose(new LockLostError(this.path, 'connection to ZooKeeper suspended'));", replace: "if (change === 'suspended') return;" }],
    tests: [
      { file: 'integration/lock-faults.test', names: ['a holder whose connection is cut is told before a waiter acquires', 'a holder behind a silenced network is told before a waiter acquires'] },
      { file: 'integration/suspension-ends-holding.test', names: ["a lock holder's signal aborts by the time its session reports suspended"] },
    ],
  },
  {
    name: 'leader-not-rescinded-on-suspension',
    breaks: 'a leader keeps leading while its connection is suspended',
    edits: [{ file: LEADER, search: "if (change === 'suspended') this.end('session-suspended');", replace: "if (change === 'suspended') return;" }],
    tests: [
      { file: 'integration/leader-faults.test', names: ['silenced network: the old leader rescinds before the other contender is elected, within the session timeout'] },
      { file: 'integration/suspension-ends-holding.test', names: ["a leader's signal aborts by the time its session reports suspended"] },
    ],
  },
  {
    name: 'suspension-clock-at-full-timeout',
    breaks: 'silence is noticed only after the whole session timeout, when the server may already have expired us',
    edits: [
      { file: CONN, search: 'const readTimeout = (this.timeoutMs * 2) / 3 - interval;', replace: 'const readTimeout = this.timeoutMs - interval;' },
      { file: CONN, search: 'now() - this.contactAt <= (this.timeoutMs * 2) / 3;', replace: 'now() - this.contactAt <= this.timeoutMs;' },
    ],
    tests: [{ file: 'integration/session.test', names: ['silence is noticed within 2/3 of the session timeout; a reconnect keeps the session'] }],
  },
  {
    name: 'predecessor-watch-skipped',
    breaks: 'a waiter reads its predecessor without a watch, so it never wakes when it goes',
    edits: [{ file: CONTENDER, search: "conn.request({ op: 'getData', path: pred, watch: watcher })", replace: "conn.request({ op: 'getData', path: pred })" }],
    // Waiters still get through, late, when the predecessor's lease runs out: the wake's cause tells.
    tests: [{ file: 'integration/lock.test', names: ['no herd: each unlock wakes exactly one of 6 queued waiters'] }],
  },
  {
    name: 'lease-takeover-without-version-check',
    breaks: 'a contender reaping an expired lease deletes the node even if its holder has just extended it',
    edits: [{ file: CONTENDER, search: "pos.conn.request({ op: 'delete', path, version })", replace: "pos.conn.request({ op: 'delete', path })" }],
    tests: [{ file: 'integration/lock-lease.test' }, { file: 'integration/lease-takeover-checks-version.test' }],
  },
  {
    name: 'fencing-token-from-sequence-number',
    breaks: "the lock's fencing token is its node's sequence number, which restarts when the reaper removes the parent",
    edits: [{ file: LOCK, search: 'this.fencingToken = pos.node.czxid;', replace: 'this.fencingToken = BigInt(pos.node.name.slice(-10));' }],
    tests: [{ file: 'integration/lock.test', names: ['fencing tokens keep increasing across a reaped parent'] }],
  },
  {
    name: 'leader-token-from-sequence-number',
    breaks: "a leader's fencing token is its node's sequence number, which restarts with the election node",
    edits: [{ file: LEADER, search: 'this.fencingToken = pos.node.czxid;', replace: 'this.fencingToken = BigInt(pos.node.name.slice(-10));' }],
    tests: [{ file: 'integration/leader.test', names: ['fencing tokens strictly increase across successive leaders, also after the election node is deleted'] }],
  },
  {
    name: 'own-node-not-deleted-on-timeout',
    breaks: 'a wait that gives up leaves its node behind, blocking everyone after it',
    edits: [{ file: CONTENDER, search: 'promise: deleteUntilGone(conn, node.path),', replace: "promise: Promise.resolve('not deleted'),"}],
    tests: [{ file: 'integration/lock.test', names: ['a wait that times out rejects with LockTimeoutError and leaves no node of ours'] }],
  },
  {
    name: 'hand-off-without-own-node-check',
    breaks: 'a waiter takes the lock when its predecessor goes without checking that its own node still exists',
    edits: [{ file: CONTENDER, search: "        await confirmOwnNode(opts, pos, state);\n        return 'hold';\n      } else if (cause === 'deleted') {", replace: "        return 'hold';\n      } else if (cause === 'deleted') {" }],
    tests: [{ file: 'integration/engine-hardening.test', names: ['a hand-off waits for the guard re-armed after our own lease refresh: a node deleted meanwhile is not taken'] }],
  },
  {
    name: 'hand-out-on-an-untrusted-connection',
    breaks: 'a turn that came while the process was frozen is handed out without a fresh read: the handle arrives already aborted',
    edits: [
      { file: CONTENDER, search: '  if (!pos.conn.isTrusted) await confirmOwnNode(opts, pos, state, true);\n', replace: '' },
      { file: CONTENDER, search: "  if (!pos.conn.isTrusted) throw new ConnectionLossError('our turn came while the connection had no recent answer from ZooKeeper');\n", replace: '' },
    ],
    tests: [{ file: 'integration/frozen-hand-off.test', names: ['lock: a waiter frozen while its turn comes is handed a live handle, not one already aborted', 'leader: a waiter frozen while its turn comes is handed a live handle, not one already aborted'] }],
  },
  {
    name: 'semaphore-one-permit-too-many',
    breaks: 'a semaphore lets one more holder in than it has permits',
    edits: [{ file: SEMAPHORE, search: 'ordered.length <= permits ?', replace: 'ordered.length <= permits + 1 ?' }],
    tests: [
      { file: 'integration/semaphore.test', names: ['permits holders at once in Curator’s layout; the next times out leaving nothing, then gets the permit returned', '4 processes on 3 permits: never more than 3 inside, and all 3 used'] },
    ],
  },
  {
    name: 'reader-beside-the-writer-ahead',
    breaks: 'a reader holds while one writer is ahead of it (the holding writer)',
    edits: [{ file: READ_WRITE, search: 'if (writers.length === 0) return { hold: true };', replace: 'if (writers.length <= 1) return { hold: true };' }],
    tests: [{ file: 'integration/read-write-lock.test', names: ['readers share; a writer waits for them, and a reader behind a waiting writer waits too'] }],
  },
  {
    name: 'lease-reaped-without-skew-allowance',
    breaks: 'a waiter reaps an expired lease the moment its deadline passes by its own clock, ignoring maxClockSkewMs',
    edits: [{ file: CONTENDER, search: 'deadline + opts.session.options.maxClockSkewMs - Date.now()', replace: 'deadline - Date.now()' }],
    tests: [{ file: 'integration/semaphore.test', names: ['a lease past its deadline is reaped by the waiter, only after the clock-skew allowance'] }],
  },
  {
    name: 'reservation-takeover-without-skew-allowance',
    breaks: 'an expired reservation is taken over the moment its TTL passes by the taker\'s clock, ignoring maxClockSkewMs',
    edits: [{ file: RESERVATION, search: 'takeOver(conn, node, ttlMs, seen, session.options.maxClockSkewMs)', replace: 'takeOver(conn, node, ttlMs, seen, 0)' }],
    tests: [{ file: 'integration/reservation.test', names: ["an expired reservation is taken over only maxClockSkewMs after its TTL, by the taker's clock"] }],
  },
  {
    name: 'any-predecessor-is-the-holder',
    breaks: 'a waiter takes the lock when any predecessor goes, not only the lowest',
    edits: [{ file: CONTENDER, search: "last: index === 1 }),", replace: "last: true }),"}],
    tests: [{ file: 'integration/lock.test', names: ['waiters acquire in the order they queued (FIFO, 6 waiters)'] }, { file: 'integration/only-the-lowest-node-holds.test' }],
  },
  {
    name: 'unlock-resolves-before-delete',
    breaks: 'unlock() resolves before ZooKeeper has acknowledged the delete of our node',
    edits: [{ file: LOCK, search: '.then(() => releaseOwnNode(this.conn, this.path))', replace: ".then(() => { void releaseOwnNode(this.conn, this.path).catch(() => undefined); return 'not awaited'; })" }],
    tests: [
      { file: 'integration/engine-hardening.test', names: ['unlock() and rescind() reject with ReleaseFailedError while the server refuses to delete our node'] },
      { file: 'integration/unlock-awaits-delete.test', names: ['unlock() resolves only after the delete of our node was acknowledged'] },
    ],
  },
  {
    name: 'guard-stops-after-first-change',
    breaks: "a holder's guard stops watching its node after the node's first data change",
    edits: [{ file: GUARD, search: "if (event.type === 'deleted') this.fire('deleted');\n    else this.watchData();", replace: "if (event.type === 'deleted') this.fire('deleted');" }],
    tests: [{ file: 'integration/guard-watches-after-own-writes.test' }],
  },
  {
    name: 'guard-ignores-foreign-data',
    breaks: "a holder's guard takes any data in its node for its own",
    edits: [{ file: GUARD, search: "if (!this.ours.some((mine) => mine.equals(data))) this.fire('changed');", replace: '' }],
    tests: [{ file: 'integration/engine-hardening.test', names: ["an uncontended holder is told when someone changes its node's data"] }],
  },
  {
    name: 'lease-expiry-told-late',
    breaks: 'the holder is told its lease ended a second after the published deadline, when a contender may already hold',
    edits: [
      { file: LOCK, search: 'this.warnAt = this.deadlineMs - margin;', replace: 'this.warnAt = this.deadlineMs + 1000;' },
      { file: LOCK, search: 'Math.max(0, holdFor - margin));', replace: 'Math.max(0, holdFor + 1000));' },
    ],
    tests: [{ file: 'integration/lock-lease.test', names: ['a holder that never unlocks is overtaken after its published deadline, and is told first'] }],
  },
  {
    name: 'lease-from-acquisition-not-published-deadline',
    breaks: 'the holder counts its lease from acquisition instead of the deadline its node publishes',
    edits: [{ file: LOCK, search: 'this.deadlineMs = tryDecodeGoTime(pos.data) ?? Date.now() + opts.holdForMs;', replace: 'this.deadlineMs = Date.now() + opts.holdForMs;' }],
    tests: [{ file: 'integration/lock-lease.test' }],
  },
  {
    name: 'extend-after-stall-not-refused',
    breaks: 'extend() after an event-loop stall past the deadline revives a lease a contender may have reaped',
    edits: [{ file: LOCK, search: '    this.checkClock();\n    if (this.endReason) throw this.signal.reason;\n    const deadline', replace: '    const deadline' }],
    tests: [{ file: 'integration/engine-hardening.test', names: ['extend() after an event-loop stall past the lease refuses by the clock and writes nothing'] }],
  },
  {
    name: 'lock-trusts-a-silent-connection',
    breaks: 'isHeld/signal ignore that the connection has had no answer for the read timeout (a stalled event loop)',
    edits: [{ file: LOCK, search: "else if (!this.conn.isTrusted) this.lose(new LockLostError(this.path, 'no recent contact with ZooKeeper'));", replace: '' }],
    tests: [
      { file: 'integration/with-lock.test', names: ['frozen holder: SIGSTOP past lease and session; its late write is refused by the fenced store'] },
      { file: 'integration/stall-ends-holding.test', names: ['a lock holder stalled past the read timeout is not held when the stall ends, lease or not'] },
    ],
  },
  {
    name: 'leader-trusts-a-silent-connection',
    breaks: 'isLeader/signal ignore that the connection has had no answer for the read timeout (a stalled event loop)',
    edits: [{ file: LEADER, search: "if (!this.released && !this.conn.isTrusted) this.end('session-suspended');", replace: '' }],
    tests: [{ file: 'integration/stall-ends-holding.test', names: ['a leader stalled past the read timeout is not leading when the stall ends'] }],
  },
  {
    name: 'contact-clock-from-reply-time',
    breaks: 'the liveness clock runs from when a reply arrived, not from when its request was sent',
    edits: [{ file: CONN, search: 'if (response) this.answered(queuedAt);', replace: 'if (response) this.answered(now());' }],
    // The 2/3 read timeout leaves a third of the timeout for a reply's delay, which hides this bug from
    // the overlap tests; a reply held back by the proxy shows it in when the session is declared lost.
    tests: [{ file: 'integration/session-limits.test', names: ['the contact clock runs from when an answered request was sent: replies held back 1.2 s do not lengthen the session by our clock'] }],
  },
  {
    name: 'reconnect-handshake-counts-as-contact',
    breaks: 'a reconnect handshake resets the liveness clock, though the server may drop us right after it',
    edits: [{ file: CONN, search: 'if (first) this.contactAt = this.tcpConnectedAt;', replace: 'this.contactAt = first ? this.tcpConnectedAt : now();' }],
    tests: [{ file: 'integration/session-limits.test', names: ['a server that drops us right after every handshake: the session is declared lost within its timeout'] }],
  },
  {
    name: 'session-lost-late',
    breaks: 'the session is declared lost by our clock only after twice its timeout',
    edits: [{ file: CONN, search: 'noContactFor >= this.timeoutMs - interval', replace: 'noContactFor >= this.timeoutMs * 2' }],
    tests: [{ file: 'integration/session.test', names: ['a paused server is noticed as silence, then the session is declared lost by our clock and replaced'] }],
  },
  {
    name: 'multi-lock-wait-ignores-held-locks',
    breaks: 'a multi-lock keeps waiting for the next lock after one already taken was lost',
    edits: [{ file: MULTI, search: 'linkSignals([opts.signal, keeper.signal, ...held.map((l) => l.signal)])', replace: 'linkSignals([opts.signal, keeper.signal])' }],
    tests: [
      { file: 'integration/multi-lock.test', names: ['a lock taken first and lost while the next is awaited fails the set with its LockLostError'] },
      { file: 'integration/multi-lock-fails-at-once-on-a-lost-lock.test' },
    ],
  },
  {
    name: 'multi-lock-leases-not-kept',
    breaks: 'the locks a multi-lock took first run out while it waits for the rest',
    edits: [{ file: MULTI, search: '      keeper.arm();\n', replace: '\n' }],
    tests: [{ file: 'integration/multi-lock.test', names: ['the locks taken first stay leased while the rest are awaited past their lease'] }],
  },
  {
    name: 'multi-lock-failure-keeps-locks',
    breaks: 'a multi-lock that fails part way keeps the locks it took',
    edits: [{ file: MULTI, search: 'await Promise.allSettled(held.map((l) => l.unlock()))', replace: 'await Promise.allSettled([] as Promise<void>[])' }],
    tests: [{ file: 'integration/multi-lock.test', names: ['all or nothing: with b held elsewhere, [a, b, c] times out on b within the one wait limit and leaves a and c free'] }],
  },
  {
    name: 'leader-guard-ignored',
    breaks: 'a leader whose election node is deleted by someone else goes on leading',
    edits: [{ file: LEADER, search: "pos.guard.setHandler((why) => this.end(why === 'deleted' ? 'node-deleted' : 'node-changed'));", replace: 'pos.guard.setHandler(() => undefined);' }],
    tests: [{ file: 'integration/leader.test', names: ['diagnostics channels publish elected, rescinded and remotely-rescinded'] }],
  },
];
