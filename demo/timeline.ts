/**
 * The demo's shared vocabulary and its live timeline: what workers report over IPC, and the
 * orchestrator's record of leadership terms and lock holds, printed as it happens.
 */

/** A message a worker sends the orchestrator; `t` is ms on the clock all demo processes share (`now()`). */
export type WorkerEvent =
  | { kind: 'session'; t: number; state: string; detail?: string }
  | { kind: 'elected'; t: number; term: number; token: string }
  | { kind: 'leader-lost'; t: number; term: number; reason: string }
  | { kind: 'rescinded'; t: number; term: number; reason: string }
  | { kind: 'lock-acquired'; t: number; n: number; token: string; asLeader: boolean }
  | { kind: 'lock-lost'; t: number; n: number; normal: boolean; reason: string }
  | { kind: 'lock-released'; t: number; n: number }
  | { kind: 'lock-failed'; t: number; error: string }
  | { kind: 'error'; t: number; where: string; error: string }
  | { kind: 'stopped'; t: number };

/** A message the orchestrator sends a worker. */
export type Command = { kind: 'stop' };

/** Now, in ms since the epoch with sub-ms precision, on the one clock every demo process uses. */
export const now = (): number => performance.timeOrigin + performance.now();

/** A span during which one worker believed it held a role (leader, or lock holder). */
export interface Interval {
  who: string;
  start: number;
  end: number | undefined;
  token: bigint;
  /** Why a leadership term ended. */
  why?: string;
}

/** A stretch with no leader, ended by an election. */
export interface Gap {
  ms: number;
  cause: string;
}

/** Records every role interval the workers report and prints the readable timeline. */
export class Timeline {
  /** Every leadership term seen, in order of election. */
  readonly terms: Interval[] = [];
  /** Every lock hold seen, in order of acquisition. */
  readonly holds: Interval[] = [];
  /** Leaderless stretches, each ended by an election. */
  readonly gaps: Gap[] = [];
  /** Lock acquisitions that failed (timeouts, connection trouble). */
  lockFailures = 0;
  private readonly openTerms = new Map<string, Interval>();
  private readonly openHolds = new Map<string, Interval>();
  private readonly perSecond = new Map<string, number>();
  private noLeaderSince: number | undefined;
  private gapCause = '';
  private lastToken = '';
  private stopping = false;
  private waiters: Array<() => void> = [];

  /** `t0` is the moment shown as +0.000s. */
  constructor(readonly t0: number) {}

  /** Prints one timeline line at time `t`. */
  line(who: string, text: string, t = now()): void {
    const rel = `+${((t - this.t0) / 1000).toFixed(3)}s`;
    console.log(`${rel.padStart(9)}  ${who.padEnd(9)} ${text}`);
  }

  /** Prints a line from the orchestrator itself. */
  demo(text: string): void {
    this.line('demo', text);
  }

  /** The worker that leads now, if any. */
  get leader(): string | undefined {
    return this.openTerms.keys().next().value;
  }

  /** Resolves once some worker leads (or after `timeoutMs`). */
  whenLeader(timeoutMs: number): Promise<string | undefined> {
    if (this.leader) return Promise.resolve(this.leader);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(this.leader);
      });
    });
  }

  /** Names the cause of the next leaderless stretch (e.g. the demo killing the leader). */
  blame(cause: string): void {
    this.gapCause = cause;
  }

  /** From now on, ended terms and elections are part of shutting down, not fail-overs. */
  beginStop(): void {
    this.stopping = true;
    this.noLeaderSince = undefined;
  }

  /** Handles one IPC event from worker `who`. */
  onEvent(who: string, ev: WorkerEvent): void {
    switch (ev.kind) {
      case 'session':
        this.line(who, `session ${ev.state}${ev.detail ? ` (${ev.detail})` : ''}`, ev.t);
        break;
      case 'elected':
        this.elected(who, ev.t, BigInt(ev.token), ev.token);
        break;
      case 'leader-lost':
      case 'rescinded':
        this.endTerm(who, ev.t, `leadership ended: ${ev.reason}`);
        break;
      case 'lock-acquired': {
        const iv: Interval = { who, start: ev.t, end: undefined, token: BigInt(ev.token) };
        this.holds.push(iv);
        this.openHolds.set(`${who}#${ev.n}`, iv);
        this.perSecond.set(who, (this.perSecond.get(who) ?? 0) + 1);
        this.lastToken = ev.token;
        break;
      }
      case 'lock-lost':
        if (!ev.normal) this.line(who, `lost the lock early: ${ev.reason}`, ev.t);
        this.endHold(`${who}#${ev.n}`, ev.t);
        break;
      case 'lock-released':
        this.endHold(`${who}#${ev.n}`, ev.t);
        break;
      case 'lock-failed':
        this.lockFailures++;
        this.line(who, `lock not taken: ${ev.error}`, ev.t);
        break;
      case 'error':
        this.line(who, `error in ${ev.where}: ${ev.error}`, ev.t);
        break;
      case 'stopped':
        this.line(who, 'stopped cleanly (rescinded, unlocked, session closed)', ev.t);
        break;
    }
  }

  /** A worker process exited at `t`: whatever it held ends there. */
  onExit(who: string, t: number, how: string): void {
    if (this.openTerms.has(who)) this.endTerm(who, t, `leadership ended: process died (${how})`);
    for (const [key, iv] of this.openHolds) if (iv.who === who) this.endHold(key, t);
    this.line(who, `exited (${how})`, t);
  }

  /** Prints the once-a-second lock summary and resets its counters. */
  tick(): void {
    const parts = [...this.perSecond].sort(([a], [b]) => a.localeCompare(b)).map(([w, c]) => `${w} ${c}`);
    const total = [...this.perSecond.values()].reduce((a, b) => a + b, 0);
    this.line('locks', `${total} taken in the last second${parts.length ? ` (${parts.join(', ')})` : ''}${this.lastToken ? `, last token ${this.lastToken}` : ''}`);
    this.perSecond.clear();
  }

  private elected(who: string, t: number, token: bigint, hex: string): void {
    const iv: Interval = { who, start: t, end: undefined, token };
    this.terms.push(iv);
    this.openTerms.set(who, iv);
    let after = '';
    if (this.noLeaderSince !== undefined && !this.stopping) {
      const ms = Math.max(0, t - this.noLeaderSince);
      this.gaps.push({ ms, cause: this.gapCause });
      after = ` after ${(ms / 1000).toFixed(2)} s without a leader`;
    }
    this.noLeaderSince = undefined;
    this.gapCause = '';
    this.line(who, `elected leader (token ${hex})${after}`, t);
    for (const w of this.waiters.splice(0)) w();
  }

  private endTerm(who: string, t: number, text: string): void {
    const iv = this.openTerms.get(who);
    if (!iv) return; // the other of signal-abort / rescinded already ended it
    iv.end = t;
    iv.why = text.replace('leadership ended: ', '');
    this.openTerms.delete(who);
    this.line(who, text, t);
    if (this.openTerms.size === 0 && !this.stopping) {
      this.noLeaderSince = t;
      if (!this.gapCause) this.gapCause = `${who} ${iv.why}`;
    }
  }

  private endHold(key: string, t: number): void {
    const iv = this.openHolds.get(key);
    if (!iv) return;
    iv.end = Math.min(t, iv.end ?? t);
    this.openHolds.delete(key);
  }
}
