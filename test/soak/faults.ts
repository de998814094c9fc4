/**
 * The soak's periodic faults, in rotation: a connection cut, a short silence (suspended, then
 * reconnected), a long one (the session expires and is replaced), a one-way silence each way,
 * added latency, and a server restart. One fault at a time, on one proxy (or the server).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TcpProxy, ZkServer } from '../harness/index.js';

/** The kinds of fault, in the order they rotate. */
export const FAULT_KINDS = ['cut', 'silence-short', 'delay', 'silence-toServer', 'silence-long', 'silence-toClient', 'restart'] as const;
/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Injects one fault every `everyMs` until stopped; counts what it did. */
export class Faults {
  /** How many of each kind were injected. */
  readonly counts: Partial<Record<FaultKind, number>> = {};
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;

  /** Builds the rotation over `proxies` and `server`; `sessionTimeoutMs` sizes the silences. */
  constructor(
    private readonly server: ZkServer,
    private readonly proxies: readonly TcpProxy[],
    private readonly sessionTimeoutMs: number,
    private readonly everyMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the rotation. */
  start(): void {
    this.running = this.run();
  }

  /** Stops after the current fault has been healed. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    for (let i = 0; !this.stopper.signal.aborted; i++) {
      const ok = await delay(this.everyMs, true, { signal: this.stopper.signal }).catch(() => false);
      if (!ok) return;
      const kind = FAULT_KINDS[i % FAULT_KINDS.length]!;
      const proxy = this.proxies[i % this.proxies.length]!;
      this.counts[kind] = (this.counts[kind] ?? 0) + 1;
      this.log(`fault ${kind} on ${kind === 'restart' ? 'the server' : proxy.connectString}`);
      try {
        await this.inject(kind, proxy);
      } finally {
        proxy.pass();
        proxy.delay(0);
      }
    }
  }

  private async inject(kind: FaultKind, proxy: TcpProxy): Promise<void> {
    const t = this.sessionTimeoutMs;
    switch (kind) {
      case 'cut':
        proxy.cut();
        await delay(500);
        return;
      case 'silence-short':
        proxy.silence('both');
        await delay(Math.round(t * 0.8)); // past the 2/3 read timeout, short of the session timeout
        return;
      case 'silence-long':
        proxy.silence('both');
        await delay(t * 2); // the session expires on the server and is replaced
        return;
      case 'silence-toServer':
        proxy.silence('toServer');
        await delay(t);
        return;
      case 'silence-toClient':
        proxy.silence('toClient');
        await delay(t);
        return;
      case 'delay':
        proxy.delay(Math.round(t / 10));
        await delay(t * 2);
        return;
      case 'restart':
        await this.server.restart();
        return;
    }
  }
}
