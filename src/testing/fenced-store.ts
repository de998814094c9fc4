/**
 * The fenced resource: a key-value store in the orchestrator that rejects a write whose fencing
 * token is older than the highest it has accepted for that key (an equal token only from the
 * same holder), and records every decision in the history.
 */
import { now, type History } from './history.js';

/** A write request as a worker sends it over IPC. */
export interface WriteRequest {
  key: string;
  /** The fencing token: a Lock's or Leader's `fencingToken`, or its decimal string (IPC carries JSON). */
  token: bigint | string;
  value: number;
  /** The worker's op that holds the token, and when the write was sent (history clock; default: when received). */
  op?: number;
  sentAt?: number;
}

/** The store; `write` is synchronous, so its log is the order of its decisions. */
export class FencedStore {
  private readonly highest = new Map<string, { token: bigint; holder: string }>();
  private readonly values = new Map<string, number>();

  /** Builds a store that logs into `history.writes`. */
  constructor(private readonly history: History) {}

  /** Applies the write if its token is not older than the key's highest; returns whether it was accepted. */
  write(holder: string, req: WriteRequest): boolean {
    const token = BigInt(req.token);
    const top = this.highest.get(req.key);
    const accepted = top === undefined || token > top.token || (token === top.token && holder === top.holder);
    if (accepted) {
      this.highest.set(req.key, { token, holder });
      this.values.set(req.key, req.value);
    }
    const t = now();
    this.history.writes.push({ t, sentAt: req.sentAt ?? t, op: req.op ?? 0, key: req.key, token, holder, value: req.value, accepted });
    return accepted;
  }

  /** The last accepted value of a key. */
  value(key: string): number | undefined {
    return this.values.get(key);
  }
}
