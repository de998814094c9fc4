/**
 * The bench's side of a peer process (zoosync, Curator, kazoo or the bare client): spawn it, send
 * one JSON command per line, read one JSON reply per line, read its CPU time from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { procCpuMs } from '../machine.js';

/** How to start one peer, and which cases it can run. */
export interface PeerSpec {
  /** Short key: zoosync, curator, kazoo, bare. */
  key: string;
  /** Column heading. */
  label: string;
  command: string;
  args: string[];
  /** The commands it serves besides hello/close. */
  cases: ReadonlySet<string>;
  /** What "one thread per lock" means for it, for the report. */
  concurrency: string;
  /** In-flight acquires (or threads) for the held case. */
  holdThreads: number;
}

/** A reply from a peer: `ok` plus whatever it reported. */
export type Reply = { ok: boolean; error?: string } & Record<string, unknown>;

const live = new Set<ChildProcess>();

/** One running peer process. */
export class PeerProcess {
  private readonly replies: Reply[] = [];
  private waiting: ((r: Reply | undefined) => void) | undefined;
  private exited = false;
  private stderrTail = '';

  private constructor(
    readonly spec: PeerSpec,
    private readonly child: ChildProcess,
  ) {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        return; // a stray line (a library printing to stdout): not a reply
      }
      this.replies.push(r);
      this.wake();
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    child.once('exit', () => {
      live.delete(child);
      this.exited = true;
      this.wake();
    });
  }

  /** Starts the peer against `hosts` with its own `root` path and waits for its hello. */
  static async start(spec: PeerSpec, hosts: string, root: string): Promise<PeerProcess> {
    const child = spawn(spec.command, [...spec.args, hosts, root], { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const p = new PeerProcess(spec, child);
    await p.request({ cmd: 'hello' }, 120_000);
    return p;
  }

  /** The peer's pid. */
  get pid(): number {
    return this.child.pid!;
  }

  /** CPU ms (user + system, all threads) the peer has used so far. */
  cpuMs(): number {
    return procCpuMs(this.pid) ?? Number.NaN;
  }

  /** Sends one command and resolves with its reply; rejects on `ok: false`, exit or timeout. */
  async request(command: Record<string, unknown>, timeoutMs = 600_000): Promise<Reply> {
    if (this.exited) throw new Error(`${this.spec.key} peer has exited; stderr:\n${this.stderrTail}`);
    this.child.stdin!.write(JSON.stringify(command) + '\n');
    const reply = await new Promise<Reply | undefined>((resolve) => {
      const t = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (r) => {
        clearTimeout(t);
        resolve(r);
      };
      this.wake();
    });
    if (!reply) throw new Error(`${this.spec.key} peer: no reply to ${String(command.cmd)} (${this.exited ? 'exited' : `${timeoutMs} ms`}); stderr:\n${this.stderrTail}`);
    if (!reply.ok) throw new Error(`${this.spec.key} peer: ${String(command.cmd)} failed: ${reply.error}`);
    return reply;
  }

  /** Asks the peer to close its sessions and exit; SIGKILLs it if it has not within 20 s. */
  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end(JSON.stringify({ cmd: 'close' }) + '\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(t);
  }

  private wake(): void {
    if (!this.waiting) return;
    const r = this.replies.shift();
    if (r === undefined && !this.exited) return;
    const w = this.waiting;
    this.waiting = undefined;
    w(r);
  }
}

/** SIGKILLs every peer still running (safe on any exit path). */
export function killAllPeers(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

process.on('exit', killAllPeers);
