/** `zoosync leaders`: every region leader election, with its leader, the leader's data, and the participants. */
import { listLeaders } from '../index.js';
import { REGION_LEADER_ROOT } from '../wire/paths.js';
import type { CommandContext } from './context.js';
import { MAX_LISTED } from '../recipes/inspect.js';
import { EXIT } from './exit-codes.js';
import { jsonLine } from './output.js';
import { electionJson, leadersTable } from './views.js';

/** Lists the elections; exits 0. */
export async function leadersCommand(ctx: CommandContext): Promise<number> {
  const elections = await listLeaders({ session: ctx.session() });
  const now = Date.now();
  const truncated = elections.length >= MAX_LISTED;
  if (ctx.json) {
    ctx.io.out(jsonLine({ root: REGION_LEADER_ROOT, at: new Date(now).toISOString(), truncated, elections: elections.map((e) => electionJson(e, now)) }));
  } else if (elections.length === 0) {
    ctx.io.out(`no elections under ${REGION_LEADER_ROOT}`);
  } else {
    ctx.io.out(leadersTable(elections, now));
  }
  if (truncated && !ctx.json) ctx.io.err(`only the first ${MAX_LISTED} elections are listed`);
  return EXIT.OK;
}
