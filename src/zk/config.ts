/**
 * Session configuration: defaults, the environment (`ZK_HOSTS`, `ZK_SESSION_TIMEOUT_MS`,
 * `ZK_CONNECT_TIMEOUT_MS`), and validation that fails before any I/O with a `ConfigurationError`.
 */
import { ConfigurationError } from '../errors.js';

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
}

/** Fully resolved and validated session options. */
export type ResolvedSessionOptions = Required<SessionOptions>;

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** Checks a connect string, returning it trimmed; throws a ConfigurationError naming what is wrong. */
export function validateHosts(hosts: unknown, argument = 'hosts'): string {
  if (typeof hosts !== 'string') throw new ConfigurationError(argument, `must be a string of host:port pairs, got ${typeof hosts}`);
  const trimmed = hosts.trim();
  if (trimmed === '') throw new ConfigurationError(argument, 'must not be blank');
  const slash = trimmed.indexOf('/');
  const list = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const chroot = slash === -1 ? '' : trimmed.slice(slash);
  for (const entry of list.split(',')) {
    const match = HOST_PORT.exec(entry.trim());
    if (!match) throw new ConfigurationError(argument, `"${entry}" is not host:port (in "${trimmed}")`);
    const port = Number(match[1]);
    if (port < 1 || port > 65535) throw new ConfigurationError(argument, `port ${port} out of range in "${entry}"`);
  }
  if (chroot !== '' && (chroot.endsWith('/') || chroot.includes('//'))) {
    throw new ConfigurationError(argument, `chroot "${chroot}" is not a valid ZooKeeper path`);
  }
  return trimmed;
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

/** Fills defaults from the environment and validates every field. */
export function resolveSessionOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('options', 'must be an object');
  const hosts = validateHosts(options.hosts ?? process.env.ZK_HOSTS ?? '127.0.0.1:2181', options.hosts === undefined && process.env.ZK_HOSTS !== undefined ? 'ZK_HOSTS' : 'hosts');
  const sessionTimeoutMs = positiveInt(options.sessionTimeoutMs ?? fromEnv('ZK_SESSION_TIMEOUT_MS') ?? 10_000, 'sessionTimeoutMs');
  const connectTimeoutMs = positiveInt(options.connectTimeoutMs ?? fromEnv('ZK_CONNECT_TIMEOUT_MS') ?? sessionTimeoutMs, 'connectTimeoutMs');
  const spinDelayMs = options.spinDelayMs ?? 100;
  if (typeof spinDelayMs !== 'number' || !Number.isFinite(spinDelayMs) || spinDelayMs < 0) {
    throw new ConfigurationError('spinDelayMs', `must be a non-negative number, got ${String(spinDelayMs)}`);
  }
  return { hosts, sessionTimeoutMs, connectTimeoutMs, spinDelayMs };
}
