/**
 * Process-wide defaults: the lazily opened default (region) session, the global session used by
 * `globalLock`, the region lock namespace, and `configure()` that sets them before first use.
 */
import { ConfigurationError } from './errors.js';
import { keysOf, knownKeys } from './option-keys.js';
import { setReapInterval } from './recipes/reaper.js';
import { DEFAULT_REGION_LOCK_NAMESPACE, validateNamespace } from './wire/paths.js';
import { resolveSessionOptions, SESSION_OPTION_KEYS, validateHosts, type SessionOptions } from './zk/config.js';
import { Session } from './zk/session.js';

/** Everything `configure()` accepts. */
export interface ZoosyncConfig extends SessionOptions {
  /** Hosts of the global ensemble for `globalLock` (default `ZK_GLOBAL_HOSTS`, else the region hosts). */
  globalHosts?: string;
  /** Region lock namespace (default `ZOOSYNC_NAMESPACE`, else `sync/regionlock`). */
  namespace?: string;
  /** Reaper sweep interval for empty lock parents (default 10000, as in Go). */
  reapIntervalMs?: number;
}

/** The keys `configure()` takes: the session options and its own; anything else is refused. */
const CONFIG_KEYS = [...SESSION_OPTION_KEYS, ...keysOf<Omit<ZoosyncConfig, keyof SessionOptions>>({ globalHosts: true, namespace: true, reapIntervalMs: true })];

let sessionOptions: SessionOptions = {};
let globalHosts: string | undefined;
let namespace: string | undefined;
let regionSession: Session | undefined;
let globalSessionValue: Session | undefined;

const isOpen = (s: Session | undefined): boolean => s !== undefined && s.state !== 'closed';

/** Sets the default sessions' options, namespace and reaper interval; validates all before changing any. Call before first use. */
export function configure(config: ZoosyncConfig = {}): void {
  if (config === null || typeof config !== 'object') throw new ConfigurationError('config', 'must be an object');
  knownKeys(config, CONFIG_KEYS, 'config', ConfigurationError);
  const { globalHosts: gh, namespace: ns, reapIntervalMs, ...session } = config;
  resolveSessionOptions({ ...sessionOptions, ...session });
  if (gh !== undefined) validateHosts(gh, 'globalHosts');
  const nsValue = ns === undefined ? undefined : validateNamespace(ns);
  if (reapIntervalMs !== undefined && (typeof reapIntervalMs !== 'number' || !Number.isInteger(reapIntervalMs) || reapIntervalMs <= 0)) {
    throw new ConfigurationError('reapIntervalMs', `must be a positive integer, got ${String(reapIntervalMs)}`);
  }
  if (isOpen(regionSession) || isOpen(globalSessionValue)) {
    throw new ConfigurationError('configure', 'called after the default session was opened; call closeDefaultSessions() first');
  }
  // Later calls add to earlier ones, as globalHosts and namespace do.
  const given = Object.fromEntries(Object.entries(session).filter(([, v]) => v !== undefined)) as SessionOptions;
  sessionOptions = { ...sessionOptions, ...given };
  if (gh !== undefined) globalHosts = gh;
  if (nsValue !== undefined) namespace = nsValue;
  if (reapIntervalMs !== undefined) setReapInterval(reapIntervalMs);
}

/** The process's default region session, opened lazily from `configure()` or the environment. */
export function defaultSession(): Session {
  if (!isOpen(regionSession)) regionSession = new Session(sessionOptions);
  return regionSession!;
}

/** The session on the global ensemble (`globalHosts`, `ZK_GLOBAL_HOSTS`, else the default session). */
export function globalSession(): Session {
  const hosts = globalHosts ?? process.env.ZK_GLOBAL_HOSTS;
  if (hosts === undefined || hosts.trim() === '') return defaultSession();
  if (!isOpen(globalSessionValue)) globalSessionValue = new Session({ ...sessionOptions, hosts });
  return globalSessionValue!;
}

/** Closes the default and global sessions (their ephemeral nodes go at once) so the process can exit. */
export async function closeDefaultSessions(): Promise<void> {
  const sessions = [regionSession, globalSessionValue];
  regionSession = undefined;
  globalSessionValue = undefined;
  await Promise.all(sessions.map((s) => s?.close()));
}

/** Sets the region lock namespace, normally the service name, once at start-up (Go `SetRegionLockNamespace`). */
export function setRegionLockNamespace(ns: string): void {
  namespace = validateNamespace(ns);
}

/** The region lock namespace in force. */
export function regionLockNamespace(): string {
  // process.env is a slow native lookup: read ZOOSYNC_NAMESPACE once, on first use.
  namespace ??= namespaceFromEnv();
  return namespace;
}

function namespaceFromEnv(): string {
  const env = process.env.ZOOSYNC_NAMESPACE;
  return env === undefined || env.trim() === '' ? DEFAULT_REGION_LOCK_NAMESPACE : validateNamespace(env, 'ZOOSYNC_NAMESPACE');
}


