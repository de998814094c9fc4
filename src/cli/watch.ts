/**
 * `zoosync watch <id>`: a live view of one lock (or with `--leader`, one election) that redraws
 * on every change (child and data watches, through `observeLock`/`observeLeader`). On a terminal
 * it redraws in place and ticks the lease countdown; otherwise it prints a block per change, or
 * with `--json` one JSON line per change. Ends on SIGINT or after `--for <ms>`.
 */
import { idToString, regionLeaderPath } from '../wire/paths.js';
import { observeLeader, observeLock, type ElectionSnapshot, type LockSnapshot } from '../index.js';
import { msFlag } from './args.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { jsonLine } from './output.js';
import { electionJson, electionText, lockJson, lockText } from './views.js';

const CLEAR = '\x1b[H\x1b[2J';

/** Watches until stopped; exits 0 when stopped, or with the error's code if watching failed. */
export async function watchCommand(ctx: CommandContext): Promise<number> {
  const id = ctx.line.positionals[0]!;
  const forMs = msFlag(ctx.flags, 'for');
  const leader = ctx.flags.leader === true;
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let views: AsyncGenerator<LockSnapshot | ElectionSnapshot>;
  let name: { id: string; path: string } | undefined;
  if (leader) {
    name = { id: idToString(id), path: regionLeaderPath(id) };
    views = observeLeader(id, { session: ctx.session(), signal });
  } else {
    views = observeLock(id, { session: ctx.session(), namespace: ctx.namespace, signal });
  }
  const render = (view: LockSnapshot | ElectionSnapshot, now: number): string => {
    if (ctx.json) {
      const body = name ? electionJson({ ...name, ...(view as ElectionSnapshot) }, now) : lockJson(view as LockSnapshot, now);
      return jsonLine({ at: new Date(now).toISOString(), ...body });
    }
    return name ? electionText({ ...name, ...(view as ElectionSnapshot) }, now) : lockText(view as LockSnapshot, now);
  };
  const live = ctx.io.isTTY && !ctx.json;
  let last: LockSnapshot | ElectionSnapshot | undefined;
  const draw = (): void => {
    if (last === undefined) return;
    const now = Date.now();
    if (live) ctx.io.out(`${CLEAR}${render(last, now)}\n\n${new Date(now).toISOString()}  watching; Ctrl-C to stop`);
    else if (ctx.json) ctx.io.out(render(last, now));
    else ctx.io.out(`--- ${new Date(now).toISOString()}\n${render(last, now)}`);
  };
  const timer = forMs === undefined ? undefined : setTimeout(() => stop.abort(), forMs);
  // On a terminal the countdown of the lease moves between changes too.
  const tick = live ? setInterval(draw, 1000) : undefined;
  try {
    for await (const view of views) {
      last = view;
      draw();
    }
  } finally {
    clearTimeout(timer);
    clearInterval(tick);
  }
  return EXIT.OK;
}
