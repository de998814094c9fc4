#!/usr/bin/env node
/**
 * `npx zoosync`: the operator CLI. Parses the command line, opens one session from flags and the
 * environment, runs the command, closes the session and exits with a documented code (see
 * `exit-codes.ts` and the README's "Operating it").
 */
import { ConfigurationError, InvalidArgumentError, Session, ZoosyncError } from '../index.js';
import { parseCommandLine, UsageError, type CommandName } from './args.js';
import type { CommandContext } from './context.js';
import { namespaceFrom, sessionOptionsFrom } from './context.js';
import { doctorCommand } from './doctor.js';
import { EXIT } from './exit-codes.js';
import { leadersCommand } from './leaders.js';
import { locksCommand } from './locks.js';
import { jsonLine, stdio, type Output } from './output.js';
import { releaseCommand } from './release.js';
import { watchCommand } from './watch.js';

/** The help text. */
export const USAGE = `usage: zoosync <command> [flags]

commands:
  locks                    every lock under the namespace: holder, fencing token, lease, waiters, age
  leaders                  every region leader election: leader, its data, participants
  watch <id>               a live view of one lock (--leader: one election), redrawn on change
                             --for <ms>   stop after this long (default: until Ctrl-C)
  release <id> --force     delete the lock holder's node (--leader: the leader's), after a warning
                             --yes        confirm without a prompt (needed without a terminal)
  doctor                   per host: reachability, version and mode, session timeout, clock offset,
                           TLS and auth status
                             --max-offset <ms>   clock offset that counts as a problem (default 1000)

connection (flags override the environment the library reads):
  --hosts <host:port,...[/chroot]>   ZK_HOSTS, default 127.0.0.1:2181
  --session-timeout <ms>             ZK_SESSION_TIMEOUT_MS, default 10000
  --connect-timeout <ms>             ZK_CONNECT_TIMEOUT_MS, default the session timeout
  --auth <scheme:credentials>        ZK_AUTH, e.g. digest:user:password
  --tls-ca/--tls-cert/--tls-key <file>  ZK_TLS_CA/ZK_TLS_CERT/ZK_TLS_KEY
  --namespace <ns>                   ZOOSYNC_NAMESPACE, default sync/regionlock

  --json                   machine-readable output (one JSON document; watch: one line per change)
  -h, --help               this text

exit codes: 0 ok, 1 problem found or nothing to act on, 2 usage error, 3 release not confirmed,
            4 ZooKeeper unreachable or refused us`;

const COMMAND_RUNNERS: Record<CommandName, (ctx: CommandContext) => Promise<number>> = {
  locks: locksCommand,
  leaders: leadersCommand,
  watch: watchCommand,
  release: releaseCommand,
  doctor: doctorCommand,
};

/** The exit code and message an error ends the run with. */
function failure(error: unknown): { code: number; name: string; message: string } {
  const e = error as Error;
  if (error instanceof UsageError || error instanceof ConfigurationError || error instanceof InvalidArgumentError) {
    return { code: EXIT.USAGE, name: e.name, message: e.message };
  }
  if (error instanceof ZoosyncError) return { code: EXIT.ZOOKEEPER, name: e.name, message: e.message };
  return { code: EXIT.PROBLEM, name: e?.name ?? 'Error', message: e?.message ?? String(error) };
}

/** Runs one command line to completion and resolves with its exit code; never rejects. */
export async function run(argv: readonly string[], io: Output = stdio, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let session: Session | undefined;
  const json = argv.includes('--json');
  try {
    const line = parseCommandLine(argv);
    if (line.command === undefined || line.flags.help) {
      io.out(USAGE);
      return EXIT.OK;
    }
    const sessionOptions = sessionOptionsFrom(line.flags);
    // Configuration is checked here, before any I/O, so a bad ZK_HOSTS is a usage error.
    session = new Session(sessionOptions);
    const opened = session;
    const ctx: CommandContext = {
      line,
      flags: line.flags,
      json: line.flags.json === true,
      io,
      sessionOptions,
      namespace: namespaceFrom(line.flags),
      session: () => opened,
      signal,
    };
    return await COMMAND_RUNNERS[line.command](ctx);
  } catch (error) {
    const f = failure(error);
    io.err(`zoosync: ${f.message}${f.code === EXIT.USAGE ? ' (see zoosync --help)' : ''}`);
    if (json) io.out(jsonLine({ error: { name: f.name, ...(error instanceof ZoosyncError ? { code: error.code } : {}), message: f.message }, exitCode: f.code }));
    return f.code;
  } finally {
    await session?.close();
  }
}

/** The bin: SIGINT/SIGTERM stop a watch cleanly (exit 0) and end any other command (exit 130). */
async function main(): Promise<void> {
  const stop = new AbortController();
  const argv = process.argv.slice(2);
  const watching = ((): boolean => {
    try {
      return parseCommandLine(argv).command === 'watch';
    } catch {
      return false;
    }
  })();
  const onSignal = (): void => {
    if (watching && !stop.signal.aborted) stop.abort();
    else process.exit(130);
  };
  // `zoosync locks | head`: a closed pipe ends the run quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await run(argv, stdio, stop.signal);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Nothing should hold the process now; if something does, do not hang an operator's shell.
  setTimeout(() => process.exit(code), 2000).unref();
}

await main();
