/**
 * `zoosync doctor`: for each host of the connect string, whether it answers (TCP, or TLS when
 * configured), what `srvr`/`mntr` say (version, mode), and what a real session sees (negotiated
 * session timeout, clock offset from an ephemeral node's mtime); then TLS and auth status.
 * Exits 1 when anything is wrong.
 */
import { resolveSessionOptions, parseServers } from '../zk/config.js';
import { msFlag } from './args.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { jsonLine, table } from './output.js';
import { probeSession, reach, serverInfo, type Host, type Reach, type ServerInfo, type SessionReport } from './probe.js';

/** What doctor found about one host. */
interface HostReport extends Host {
  reach: Reach;
  server?: ServerInfo;
  session?: SessionReport;
  problems: string[];
  notes: string[];
}

/** Offsets past this (beyond the measurement's own uncertainty) are a problem: lease deadlines are written by one clock and read by another. */
export const DEFAULT_MAX_OFFSET_MS = 1000;

const SERVING = new Set(['standalone', 'leader', 'follower', 'observer', 'read-only']);

const entryOf = (h: Host): string => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`);

async function examine(ctx: CommandContext, h: Host, chroot: string, tls: boolean, timeoutMs: number, maxOffsetMs: number): Promise<HostReport> {
  const resolved = resolveSessionOptions(ctx.sessionOptions);
  const report: HostReport = { ...h, reach: await reach(h, resolved.tls, timeoutMs), problems: [], notes: [] };
  if (!report.reach.reachable) {
    report.problems.push(`unreachable: ${report.reach.error}`);
    return report;
  }
  if (tls && report.reach.tls && !report.reach.tls.authorized) report.problems.push(`TLS: server certificate not trusted (${report.reach.tls.error})`);
  report.server = await serverInfo(h, resolved.tls, timeoutMs);
  const s = report.server;
  if (!s.whitelisted) report.notes.push(s.error ? `four-letter words: ${s.error}` : 'srvr and mntr are not in 4lw.commands.whitelist: version and mode unknown');
  else if (s.mode !== undefined && !SERVING.has(s.mode)) report.problems.push(`mode "${s.mode}": not serving requests`);
  report.session = await probeSession({ ...ctx.sessionOptions, connectTimeoutMs: timeoutMs }, `${entryOf(h)}${chroot}`);
  const sess = report.session;
  if (!sess.ok) {
    report.problems.push(`session: ${sess.error}`);
    return report;
  }
  if (sess.negotiatedTimeoutMs !== undefined && sess.negotiatedTimeoutMs !== sess.requestedTimeoutMs) {
    report.notes.push(`session timeout ${sess.requestedTimeoutMs} ms asked, ${sess.negotiatedTimeoutMs} ms granted (the server's min/maxSessionTimeout)`);
  }
  if (sess.clock && 'error' in sess.clock) report.problems.push(`clock offset unknown: ${sess.clock.error}`);
  else if (sess.clock && Math.abs(sess.clock.offsetMs) - sess.clock.uncertaintyMs > maxOffsetMs) {
    report.problems.push(`clock offset ${sess.clock.offsetMs} ms (±${sess.clock.uncertaintyMs}) exceeds ${maxOffsetMs} ms: leases written here are misread elsewhere`);
  }
  return report;
}

function textOf(hosts: readonly HostReport[], summary: { tls: string; auth: string }): string {
  const rows = hosts.map((h) => [
    entryOf(h),
    h.reach.reachable ? `yes (${h.reach.connectMs}ms)` : 'NO',
    h.server?.version?.split(',')[0] ?? (h.server && !h.server.whitelisted ? '(4lw off)' : '-'),
    h.server?.mode ?? '-',
    h.session?.negotiatedTimeoutMs !== undefined ? `${h.session.negotiatedTimeoutMs}ms` : '-',
    h.session?.clock && 'offsetMs' in h.session.clock ? `${h.session.clock.offsetMs}ms ±${h.session.clock.uncertaintyMs}` : '-',
  ]);
  const lines = [table([['HOST', 'REACHABLE', 'VERSION', 'MODE', 'SESSION TIMEOUT', 'CLOCK OFFSET'], ...rows]), '', `tls: ${summary.tls}`, `auth: ${summary.auth}`];
  for (const h of hosts) {
    for (const n of h.notes) lines.push(`note: ${entryOf(h)}: ${n}`);
    for (const p of h.problems) lines.push(`PROBLEM: ${entryOf(h)}: ${p}`);
  }
  const count = hosts.reduce((n, h) => n + h.problems.length, 0);
  lines.push(count === 0 ? 'ok: no problem found' : `${count} problem${count === 1 ? '' : 's'} found`);
  return lines.join('\n');
}

/** Examines every host; 0 when all is well, 1 when a problem was found. */
export async function doctorCommand(ctx: CommandContext): Promise<number> {
  const maxOffsetMs = msFlag(ctx.flags, 'max-offset') ?? DEFAULT_MAX_OFFSET_MS;
  const resolved = resolveSessionOptions(ctx.sessionOptions);
  const slash = resolved.hosts.indexOf('/');
  const chroot = slash === -1 ? '' : resolved.hosts.slice(slash);
  const servers = parseServers(resolved.hosts);
  const tls = resolved.tls !== undefined;
  const timeoutMs = Math.min(resolved.connectTimeoutMs, 5000);
  const hosts = await Promise.all(servers.map((h) => examine(ctx, h, chroot, tls, timeoutMs, maxOffsetMs)));
  const schemes = resolved.auth.map((a) => a.scheme);
  const sessions = hosts.map((h) => h.session).filter((s): s is SessionReport => s !== undefined);
  const authState = schemes.length === 0 ? 'none' : sessions.some((s) => s.errorCode === 'ZOOSYNC_AUTH_FAILED') ? 'refused' : sessions.some((s) => s.ok) ? 'accepted' : 'unknown';
  const tlsState = !tls ? 'off (plain TCP)' : hosts.every((h) => h.reach.tls?.authorized) ? `on, server certificates trusted${resolved.tls?.cert ? ', client certificate sent' : ''}` : 'on, with problems (see below)';
  const summary = { tls: tlsState, auth: schemes.length === 0 ? 'none' : `${schemes.join(', ')}: ${authState}` };
  const problems = hosts.flatMap((h) => h.problems.map((p) => `${entryOf(h)}: ${p}`));
  if (ctx.json) {
    ctx.io.out(
      jsonLine({
        ok: problems.length === 0,
        chroot: chroot || null,
        maxOffsetMs,
        tls: { enabled: tls, clientCertificate: Boolean(resolved.tls?.cert) },
        auth: { schemes, status: authState },
        hosts: hosts.map((h) => ({ host: entryOf(h), reach: h.reach, server: h.server ?? null, session: h.session ?? null, problems: h.problems, notes: h.notes })),
        problems,
      }),
    );
  } else {
    ctx.io.out(textOf(hosts, summary));
  }
  return problems.length === 0 ? EXIT.OK : EXIT.PROBLEM;
}
