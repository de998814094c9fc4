/**
 * `zoosync release <id> --force`: deletes the holder's node of a lock (or with `--leader`, the
 * leader's node of an election), after a warning and a confirmation: a prompt on a terminal,
 * `--yes` otherwise. Without them it only says what it would do, and exits 3.
 */
import { leaderSnapshot, lockSnapshot, NoNodeError, type LockContender, type Participant } from '../index.js';
import { idToString, regionLeaderPath, regionLockPath } from '../wire/paths.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatDuration, jsonLine, sessionLabel } from './output.js';
import { contenderJson, participantJson } from './views.js';

/** What a forced release breaks: printed before every release, and in the JSON. */
export function releaseWarning(kind: 'lock' | 'leader', token: bigint): string {
  return kind === 'lock'
    ? 'WARNING: a holder that is alive is not stopped by this: its lock signal aborts (LockLostError) and it must notice, ' +
        'but it may still be finishing its critical section when the next waiter enters. Two holders then overlap; ' +
        `only a resource that checks fencing tokens (reject anything below a newer token, this holder has ${token}) is safe. ` +
        'Use this for a holder that is stuck or gone.'
    : 'WARNING: a leader that is alive is not stopped by this: its rescinded promise settles and its signal aborts, ' +
        'but it may still be finishing leader work when the next participant is elected. Two leaders then overlap; ' +
        `only a resource that checks fencing tokens (this leader has ${token}) is safe. Use this for a leader that is stuck or gone.`;
}

interface Target {
  kind: 'lock' | 'leader';
  id: string;
  path: string;
  node: Participant | undefined;
  describe: (nowMs: number) => object;
  waiting: number;
}

async function findTarget(ctx: CommandContext, id: string): Promise<Target> {
  if (ctx.flags.leader) {
    const path = regionLeaderPath(id);
    const view = await leaderSnapshot(id, { session: ctx.session() });
    const node = view.leader;
    return { kind: 'leader', id: idToString(id), path, node, describe: (now) => (node ? participantJson(node, now) : {}), waiting: Math.max(0, view.participants.length - 1) };
  }
  const path = regionLockPath(ctx.namespace, id);
  const view = await lockSnapshot(id, { session: ctx.session(), namespace: ctx.namespace });
  const node: LockContender | undefined = view.holder;
  return { kind: 'lock', id: view.id, path, node, describe: (now) => (node ? contenderJson(node, now) : {}), waiting: view.waiters.length };
}

function plan(t: Target, node: Participant, nowMs: number): string {
  const lease = t.kind === 'lock' && (node as LockContender).deadlineMs !== undefined ? `, lease left ${formatDuration((node as LockContender).deadlineMs! - nowMs)}` : '';
  const role = t.kind === 'lock' ? 'holder' : 'leader';
  return `delete ${node.path}: the ${role} of ${t.kind === 'lock' ? 'lock' : 'election'} ${t.id} (session ${sessionLabel(node.sessionId)}, fencing token ${node.czxid}${lease}, node age ${formatDuration(nowMs - node.createdMs)}); ${t.waiting} waiting`;
}

async function confirmed(ctx: CommandContext, node: Participant): Promise<boolean> {
  if (!ctx.flags.force) return false;
  if (ctx.flags.yes) return true;
  if (ctx.json || !ctx.io.ask) return false;
  const answer = await ctx.io.ask(`Delete ${node.path}? Type "yes" to confirm: `);
  return answer.trim().toLowerCase() === 'yes';
}

/** Releases by force once confirmed: 0 done (or gone meanwhile), 1 nothing held, 3 not confirmed. */
export async function releaseCommand(ctx: CommandContext): Promise<number> {
  const t = await findTarget(ctx, ctx.line.positionals[0]!);
  const base = { action: 'release', kind: t.kind, id: t.id, path: t.path };
  const node = t.node;
  if (!node) {
    if (ctx.json) ctx.io.out(jsonLine({ ...base, released: false, reason: t.kind === 'lock' ? 'not held' : 'no leader' }));
    else ctx.io.err(`${t.kind === 'lock' ? 'lock' : 'election'} ${t.id} (${t.path}): ${t.kind === 'lock' ? 'nobody holds it' : 'nobody leads it'}; nothing to release`);
    return EXIT.PROBLEM;
  }
  const now = Date.now();
  const warning = releaseWarning(t.kind, node.czxid);
  if (!ctx.json) {
    ctx.io.err(`would ${plan(t, node, now)}`);
    ctx.io.err(warning);
  }
  if (!(await confirmed(ctx, node))) {
    const reason = ctx.flags.force ? 'not confirmed (pass --yes when there is no terminal)' : 'needs --force';
    if (ctx.json) ctx.io.out(jsonLine({ ...base, released: false, reason, wouldDelete: node.path, holder: t.describe(now), warning }));
    else ctx.io.err(`not released: ${reason}`);
    return EXIT.NOT_CONFIRMED;
  }
  let released = true;
  try {
    await ctx.session().request({ op: 'delete', path: node.path });
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
    released = false;
  }
  if (ctx.json) ctx.io.out(jsonLine({ ...base, released, ...(released ? {} : { reason: 'already gone' }), deleted: node.path, holder: t.describe(now), warning }));
  else ctx.io.out(released ? `released: deleted ${node.path}` : `${node.path} was already gone`);
  return EXIT.OK;
}
