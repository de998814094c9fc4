/** `zoosync locks`: every lock under the namespace, with holder, fencing token, lease, waiters and age. */
import { listLocks } from '../index.js';
import type { CommandContext } from './context.js';
import { MAX_LISTED } from '../recipes/inspect.js';
import { EXIT } from './exit-codes.js';
import { jsonLine } from './output.js';
import { lockJson, locksTable } from './views.js';

/** Lists the locks; exits 0 (an empty namespace is not a problem). */
export async function locksCommand(ctx: CommandContext): Promise<number> {
  const locks = await listLocks({ session: ctx.session(), namespace: ctx.namespace });
  const now = Date.now();
  const truncated = locks.length >= MAX_LISTED;
  if (ctx.json) {
    ctx.io.out(jsonLine({ namespace: ctx.namespace, at: new Date(now).toISOString(), truncated, locks: locks.map((l) => lockJson(l, now)) }));
  } else if (locks.length === 0) {
    ctx.io.out(`no locks under /${ctx.namespace}`);
  } else {
    ctx.io.out(locksTable(locks, now));
  }
  if (truncated && !ctx.json) ctx.io.err(`only the first ${MAX_LISTED} locks are listed`);
  return EXIT.OK;
}
