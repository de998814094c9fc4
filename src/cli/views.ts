/** How a lock and an election look to an operator: as JSON objects and as text. */
import type { LockContender, LockSnapshot, NamedElection, Participant } from '../index.js';
import { dataField, formatDuration, sessionLabel, table } from './output.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** A participant of an election as JSON (fencing token as a decimal string once serialized). */
export function participantJson(p: Participant, nowMs: number) {
  return {
    node: p.name,
    path: p.path,
    sessionId: sessionLabel(p.sessionId),
    fencingToken: p.czxid,
    sequence: p.sequence,
    createdAt: iso(p.createdMs),
    ageMs: nowMs - p.createdMs,
    ...dataField(p.data),
  };
}

/** A lock contender as JSON: its lease deadline and the time left by our clock. */
export function contenderJson(c: LockContender, nowMs: number) {
  const { data: _data, dataBase64: _b64, ...rest } = participantJson(c, nowMs);
  return { ...rest, deadline: iso(c.deadlineMs), leaseLeftMs: c.deadlineMs === undefined ? null : c.deadlineMs - nowMs };
}

/** A lock as JSON. */
export function lockJson(lock: LockSnapshot, nowMs: number) {
  return {
    id: lock.id,
    path: lock.path,
    state: lock.state,
    holder: lock.holder ? contenderJson(lock.holder, nowMs) : null,
    waiters: lock.waiters.map((w) => contenderJson(w, nowMs)),
  };
}

/** An election as JSON. */
export function electionJson(e: NamedElection, nowMs: number) {
  return {
    id: e.id,
    path: e.path,
    state: e.state,
    leader: e.leader ? participantJson(e.leader, nowMs) : null,
    participants: e.participants.map((p) => participantJson(p, nowMs)),
  };
}

const leaseLeft = (c: LockContender | undefined, nowMs: number): string =>
  c === undefined ? '-' : c.deadlineMs === undefined ? 'no lease' : formatDuration(c.deadlineMs - nowMs);

/** The `locks` table: one row per lock. */
export function locksTable(locks: readonly LockSnapshot[], nowMs: number): string {
  const rows = locks.map((l) => [
    l.id,
    l.state,
    l.holder ? sessionLabel(l.holder.sessionId) : '-',
    l.holder ? l.holder.czxid.toString() : '-',
    leaseLeft(l.holder, nowMs),
    iso(l.holder?.deadlineMs) ?? '-',
    String(l.waiters.length),
    l.holder ? formatDuration(nowMs - l.holder.createdMs) : '-',
  ]);
  return table([['LOCK', 'STATE', 'HOLDER', 'TOKEN', 'LEASE LEFT', 'DEADLINE', 'WAITERS', 'AGE'], ...rows]);
}

/** Leader data in one short line for a table. */
function dataText(data: Buffer): string {
  const f = dataField(data);
  const s = f.data !== undefined ? JSON.stringify(f.data) : f.dataBase64 !== undefined ? `base64:${f.dataBase64}` : '-';
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

/** The `leaders` table: one row per election. */
export function leadersTable(elections: readonly NamedElection[], nowMs: number): string {
  const rows = elections.map((e) => [
    e.id,
    e.state,
    e.leader ? sessionLabel(e.leader.sessionId) : '-',
    e.leader ? e.leader.czxid.toString() : '-',
    e.leader ? dataText(e.leader.data) : '-',
    String(e.participants.length),
    e.leader ? formatDuration(nowMs - e.leader.createdMs) : '-',
  ]);
  return table([['ELECTION', 'STATE', 'LEADER', 'TOKEN', 'DATA', 'PARTICIPANTS', 'AGE'], ...rows]);
}

/** One lock in detail: the holder, then each waiter in order. */
export function lockText(lock: LockSnapshot, nowMs: number): string {
  const head = `lock ${lock.id} (${lock.path}): ${lock.state}`;
  const row = (role: string, c: LockContender) => [
    role,
    sessionLabel(c.sessionId),
    c.czxid.toString(),
    leaseLeft(c, nowMs),
    iso(c.deadlineMs) ?? '-',
    formatDuration(nowMs - c.createdMs),
  ];
  const rows = [...(lock.holder ? [row('holder', lock.holder)] : []), ...lock.waiters.map((w, i) => row(`waiter ${i + 1}`, w))];
  if (rows.length === 0) return head;
  return `${head}\n${table([['', 'SESSION', 'TOKEN', 'LEASE LEFT', 'DEADLINE', 'AGE'], ...rows])}`;
}

/** One election in detail: the leader, then each participant in order. */
export function electionText(e: NamedElection, nowMs: number): string {
  const head = `election ${e.id} (${e.path}): ${e.state}`;
  const rows = e.participants.map((p, i) => [
    i === 0 ? 'leader' : `next ${i}`,
    sessionLabel(p.sessionId),
    p.czxid.toString(),
    dataText(p.data),
    formatDuration(nowMs - p.createdMs),
  ]);
  if (rows.length === 0) return head;
  return `${head}\n${table([['', 'SESSION', 'TOKEN', 'DATA', 'AGE'], ...rows])}`;
}
