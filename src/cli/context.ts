/**
 * What a command runs with: its parsed command line, where to write, and the connection settings
 * from flags and the same environment the library reads (`ZK_HOSTS`, `ZK_SESSION_TIMEOUT_MS`,
 * `ZK_CONNECT_TIMEOUT_MS`, `ZK_AUTH`, `ZK_TLS_CA`/`ZK_TLS_CERT`/`ZK_TLS_KEY`, `ZOOSYNC_NAMESPACE`).
 */
import { readFileSync } from 'node:fs';
import { Session, type SessionOptions, type TlsOptions } from '../index.js';
import { DEFAULT_REGION_LOCK_NAMESPACE, validateNamespace } from '../wire/paths.js';
import { msFlag, UsageError, type CommandLine, type Flags } from './args.js';
import type { Output } from './output.js';

/** Everything a command needs. */
export interface CommandContext {
  line: CommandLine;
  flags: Flags;
  /** `--json`: machine-readable output on stdout. */
  json: boolean;
  io: Output;
  /** The options every session of this run is opened with (flags over the environment). */
  sessionOptions: SessionOptions;
  /** The region lock namespace, without slashes. */
  namespace: string;
  /** The run's session, opened on first call and closed when the command ends. */
  session(): Session;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

function parseAuth(raw: string): SessionOptions['auth'] {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new UsageError(`--auth must be scheme:credentials, e.g. digest:user:password, got "${raw}"`);
  return [{ scheme: raw.slice(0, colon), credentials: raw.slice(colon + 1) }];
}

function readPem(flag: string, file: string | undefined): Buffer | undefined {
  if (file === undefined || file.trim() === '') return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** TLS from `--tls-*` flags, each falling back to its `ZK_TLS_*` variable; undefined (the library reads the environment) when no flag is given. */
function tlsFrom(flags: Flags): TlsOptions | undefined {
  if (flags['tls-ca'] === undefined && flags['tls-cert'] === undefined && flags['tls-key'] === undefined) return undefined;
  const ca = readPem(flags['tls-ca'] !== undefined ? '--tls-ca' : 'ZK_TLS_CA', flags['tls-ca'] ?? process.env.ZK_TLS_CA);
  const cert = readPem(flags['tls-cert'] !== undefined ? '--tls-cert' : 'ZK_TLS_CERT', flags['tls-cert'] ?? process.env.ZK_TLS_CERT);
  const key = readPem(flags['tls-key'] !== undefined ? '--tls-key' : 'ZK_TLS_KEY', flags['tls-key'] ?? process.env.ZK_TLS_KEY);
  if (Boolean(cert) !== Boolean(key)) throw new UsageError(`${cert ? '--tls-key' : '--tls-cert'} is needed too: a client certificate needs both`);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** Session options from the flags; what no flag sets is left to the library's environment defaults. */
export function sessionOptionsFrom(flags: Flags): SessionOptions {
  const sessionTimeoutMs = msFlag(flags, 'session-timeout');
  const connectTimeoutMs = msFlag(flags, 'connect-timeout');
  const tls = tlsFrom(flags);
  return {
    ...(flags.hosts !== undefined ? { hosts: flags.hosts } : {}),
    ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}),
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...(flags.auth !== undefined ? { auth: parseAuth(flags.auth) } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

/** `--namespace`, else `ZOOSYNC_NAMESPACE`, else `sync/regionlock`; checked as the library checks it. */
export function namespaceFrom(flags: Flags): string {
  if (flags.namespace !== undefined) return validateNamespace(flags.namespace, '--namespace');
  const env = process.env.ZOOSYNC_NAMESPACE;
  if (env !== undefined && env.trim() !== '') return validateNamespace(env, 'ZOOSYNC_NAMESPACE');
  return DEFAULT_REGION_LOCK_NAMESPACE;
}
