/** `zoosync locks`: every lock under the namespace, with holder, fencing token, lease, waiters and age. */
import { listLocks } from '../index.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { jsonLine } from './output.js';
import { lockJson, locksTable } from './views.js';

/** Lists the locks; exits 0 (an empty namespace is not a problem). */
export async function locksCommand(ctx: CommandContext): Promise<number> {
  const locks = await listLocks({ session: ctx.session(), namespace: ctx.namespace });
  const now = Date.now();
  if (ctx.json) {
    ctx.io.out(jsonLine({ namespace: ctx.namespace, at: new Date(now).toISOString(), locks: locks.map((l) => lockJson(l, now)) }));
  } else if (locks.length === 0) {
    ctx.io.out(`no locks under /${ctx.namespace}`);
  } else {
    ctx.io.out(locksTable(locks, now));
  }
  return EXIT.OK;
}
