/**
 * Peer side of the bench's line protocol (bench/compare/peer.ts): one JSON command per line on
 * stdin, one JSON reply per line on stdout (`{ ok: true, ... }` or `{ ok: false, error }`), in order.
 */
import * as readline from 'node:readline';

/** A command from the bench: `cmd` plus its arguments. */
export type Command = { cmd: string } & Record<string, unknown>;
/** What a handler answers (merged into the `ok` reply). */
export type Handlers = Record<string, (c: Command) => Promise<Record<string, unknown>>>;

/** Serves `handlers` until `close` (then runs `onClose`) or the end of stdin. */
export async function serve(handlers: Handlers, onClose: () => Promise<void>): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'close') break;
    let reply: Record<string, unknown>;
    try {
      const h = handlers[c.cmd];
      if (!h) throw new Error(`unknown command ${c.cmd}`);
      reply = { ok: true, ...(await h(c)) };
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  lines.close();
  await onClose();
  process.stdout.write('{"ok":true}\n');
}

/** p50 and p99 (ms) of latencies given in ms. */
export function percentiles(xs: number[]): { p50: number | null; p99: number | null } {
  if (xs.length === 0) return { p50: null, p99: null };
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor((s.length - 1) * 0.5)]!, p99: s[Math.floor((s.length - 1) * 0.99)]! };
}

/**
 * Runs `n` loops of `op` at once for `windowMs`: each loop repeats until the window closes. Counts
 * every op (for per-op costs) and those that finished inside the window (for the rate).
 */
export async function windowLoops(n: number, windowMs: number, op: (k: number) => Promise<void>): Promise<Record<string, unknown>> {
  const lats: number[] = [];
  let windowOps = 0;
  const t0 = performance.now();
  const deadline = t0 + windowMs;
  await Promise.all(
    Array.from({ length: n }, async (_, k) => {
      while (performance.now() < deadline) {
        const s = performance.now();
        await op(k);
        const e = performance.now();
        lats.push(e - s);
        if (e <= deadline) windowOps++;
      }
    }),
  );
  return { ops: lats.length, windowOps, windowMs, totalMs: performance.now() - t0, ...percentiles(lats) };
}

/** Per-hand-off gaps from `t0` through sorted acquisition times: first and last tenth's mean, p50, p99 (ms). */
export function gaps(t0: number, at: number[]): Record<string, unknown> {
  const g: number[] = [];
  let prev = t0;
  for (const a of at) {
    g.push(a - prev);
    prev = a;
  }
  const q = Math.max(1, Math.floor(g.length / 10));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { firstTenthMs: mean(g.slice(0, q)), lastTenthMs: mean(g.slice(-q)), ...percentiles(g) };
}
