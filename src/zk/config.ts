/**
 * Session configuration: defaults, the environment (`ZK_HOSTS`, `ZK_SESSION_TIMEOUT_MS`,
 * `ZK_CONNECT_TIMEOUT_MS`), and validation that fails before any I/O with a `ConfigurationError`.
 */
import { isIPv6 } from 'node:net';
import { ConfigurationError, InvalidArgumentError } from '../errors.js';
import { keysOf, knownKeys } from '../option-keys.js';
import type { ConnectionOptions } from 'node:tls';
import { checkBytes, MAX_PATH_BYTES, validatePath } from '../wire/paths.js';
import { lacksIdentity, resolveAcl, resolveAuth, resolveTls, type AclOption, type AuthEntry, type ResolvedAclEntry, type TlsOptions } from './security.js';

/** What a `Session` can be configured with. */
export interface SessionOptions {
  /** Comma-separated `host:port` list, optionally with a chroot suffix. Default `ZK_HOSTS` or `127.0.0.1:2181`. */
  hosts?: string;
  /** Requested session timeout; the server may negotiate it into its own bounds. Default `ZK_SESSION_TIMEOUT_MS` or 10000. */
  sessionTimeoutMs?: number;
  /** How long the first operation waits for a connection before failing. Default `ZK_CONNECT_TIMEOUT_MS` or the session timeout. */
  connectTimeoutMs?: number;
  /** Random wait before cycling through the server list again. Default 100. */
  spinDelayMs?: number;
  /** Authentications sent on every connection before any request, e.g. `[{ scheme: 'digest', credentials: 'user:pass' }]`. Default `ZK_AUTH` (`scheme:credentials`). */
  auth?: AuthEntry[];
  /** The ACL of every node zoosync creates, parents included: a preset or a list. Default `'open'` (as the Go recipes). */
  acl?: AclOption;
  /** TLS to ZooKeeper's `secureClientPort` (what `tls.connect` takes); `true` for the system CAs. Default from `ZK_TLS_CA`/`ZK_TLS_CERT`/`ZK_TLS_KEY` (file paths), else plain TCP. */
  tls?: TlsOptions | boolean;
  /** How far apart two hosts' wall clocks may be: a contender reaps an expired lease only this long after its deadline. Default `ZK_MAX_CLOCK_SKEW_MS` or 250. */
  maxClockSkewMs?: number;
}

/** Fully resolved and validated session options. */
export interface ResolvedSessionOptions {
  hosts: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  spinDelayMs: number;
  auth: Array<{ scheme: string; credentials: Buffer }>;
  acl: readonly ResolvedAclEntry[];
  tls: ConnectionOptions | undefined;
  maxClockSkewMs: number;
}

/** The keys `SessionOptions` takes; anything else is refused (a misspelt key would silently keep a default). */
export const SESSION_OPTION_KEYS = keysOf<SessionOptions>({
  hosts: true,
  sessionTimeoutMs: true,
  connectTimeoutMs: true,
  spinDelayMs: true,
  auth: true,
  acl: true,
  tls: true,
  maxClockSkewMs: true,
});

/** One server of a connect string, as `net.connect` takes it (IPv6 without its brackets). */
export interface Server {
  host: string;
  port: number;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/**
 * Checks a connect string, returning it normalized (blanks around the whole and around each
 * entry removed, chroot kept); throws a ConfigurationError naming what is wrong.
 */
export function validateHosts(hosts: unknown, argument = 'hosts'): string {
  const { servers, chroot } = parseConnectString(hosts, argument);
  return servers.map((s) => s.entry).join(',') + chroot;
}

/** The servers of a connect string in the order given, IPv6 brackets stripped (node-zookeeper-client split `[::1]:2181` at the first ":"). */
export function parseServers(hosts: unknown, argument = 'hosts'): Server[] {
  return parseConnectString(hosts, argument).servers.map(({ host, port }) => ({ host, port }));
}

function parseConnectString(hosts: unknown, argument: string): { servers: Array<Server & { entry: string }>; chroot: string } {
  if (typeof hosts !== 'string') throw new ConfigurationError(argument, `must be a string of host:port pairs, got ${typeof hosts}`);
  const trimmed = hosts.trim();
  if (trimmed === '') throw new ConfigurationError(argument, 'must not be blank');
  const slash = trimmed.indexOf('/');
  const list = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const servers = list.split(',').map((entry) => parseServer(entry, argument, trimmed));
  const chroot = slash === -1 ? '' : validateChroot(trimmed.slice(slash), argument);
  return { servers, chroot };
}

function parseServer(raw: string, argument: string, whole: string): Server & { entry: string } {
  const entry = raw.trim();
  const match = HOST_PORT.exec(entry);
  if (!match) throw new ConfigurationError(argument, `"${raw}" is not host:port (in "${whole}")`);
  const bracketed = match[1]!;
  const host = bracketed.startsWith('[') ? bracketed.slice(1, -1) : bracketed;
  if (bracketed.startsWith('[') && !isIPv6(host)) throw new ConfigurationError(argument, `"${bracketed}" is not an IPv6 address (in "${whole}")`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new ConfigurationError(argument, `port ${port} out of range in "${raw}"`);
  return { entry, host, port };
}

/** A chroot checked as ZooKeeper checks a path (node-zookeeper-client would throw a raw AssertionError later). */
function validateChroot(chroot: string, argument: string): string {
  try {
    validatePath(checkBytes(chroot, MAX_PATH_BYTES, 'chroot'), 'chroot');
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const problem = error.message.slice(error.argument.length + 2);
    throw new ConfigurationError(argument, `invalid chroot: ${problem}`, { cause: error });
  }
  return chroot;
}

function positiveInt(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 2 ** 31 - 1) {
    throw new ConfigurationError(argument, `must be a positive integer number of milliseconds up to 2^31-1, got ${String(value)}`);
  }
  return value;
}

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigurationError(name, `must be a positive integer, got "${raw}"`);
  return n;
}

/** The most a lease's readers may wait past its deadline for clock skew: an hour would stall every reap. */
export const MAX_CLOCK_SKEW_MS = 60_000;

function clockSkew(option: number | undefined): number {
  const raw = process.env.ZK_MAX_CLOCK_SKEW_MS;
  const fromEnvironment = option === undefined && raw !== undefined && raw.trim() !== '';
  const value = option ?? (fromEnvironment ? Number(raw) : 250);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CLOCK_SKEW_MS) {
    const shown = fromEnvironment ? `"${raw}"` : String(value);
    throw new ConfigurationError(fromEnvironment ? 'ZK_MAX_CLOCK_SKEW_MS' : 'maxClockSkewMs', `must be an integer number of milliseconds from 0 to ${MAX_CLOCK_SKEW_MS}, got ${shown}`);
  }
  return value;
}

/** Fills defaults from the environment and validates every field; unknown keys are refused. */
export function resolveSessionOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  knownKeys(options, SESSION_OPTION_KEYS, 'options', ConfigurationError);
  const hosts = validateHosts(options.hosts ?? process.env.ZK_HOSTS ?? '127.0.0.1:2181', options.hosts === undefined && process.env.ZK_HOSTS !== undefined ? 'ZK_HOSTS' : 'hosts');
  const sessionTimeoutMs = positiveInt(options.sessionTimeoutMs ?? fromEnv('ZK_SESSION_TIMEOUT_MS') ?? 10_000, 'sessionTimeoutMs');
  const connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? fromEnv('ZK_CONNECT_TIMEOUT_MS') ?? sessionTimeoutMs, 'connectTimeoutMs');
  const spinDelayMs = options.spinDelayMs ?? 100;
  if (typeof spinDelayMs !== 'number' || !Number.isFinite(spinDelayMs) || spinDelayMs < 0) {
    throw new ConfigurationError('spinDelayMs', `must be a non-negative number, got ${String(spinDelayMs)}`);
  }
  const auth = resolveAuth(options.auth);
  const acl = resolveAcl(options.acl);
  const tls = resolveTls(options.tls);
  if (lacksIdentity(acl, auth, tls)) {
    throw new ConfigurationError('acl', 'a creator-only ACL needs an identity: set auth (e.g. digest) or a TLS client certificate (x509)');
  }
  const maxClockSkewMs = clockSkew(options.maxClockSkewMs);
  return { hosts, sessionTimeoutMs, connectTimeoutMs, spinDelayMs, auth, acl, tls, maxClockSkewMs };
}
