/**
 * Security options of a session: authentication sent on every connection (Curator's
 * `authorization()`, kazoo's `auth_data`), the ACL every node zoosync creates gets (Curator's
 * `ACLProvider`, kazoo's `default_acl`), and TLS to ZooKeeper's `secureClientPort` (kazoo's
 * `use_ssl`). Validated before any I/O; also read from `ZK_AUTH` and `ZK_TLS_*`.
 */
import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '../errors.js';
import { keysOf, knownKeys } from '../option-keys.js';

/** One authentication, e.g. `{ scheme: 'digest', credentials: 'user:password' }`. */
export interface AuthEntry {
  scheme: string;
  credentials: string | Uint8Array;
}

/**
 * ACL presets: `open` (anyone may do anything: the default, as the Go recipes do),
 * `creator-all` (only the creating identity), `creator-all-world-read` (the creator, and anyone
 * may read who holds what).
 */
export type AclPreset = 'open' | 'creator-all' | 'creator-all-world-read';

/** One ACL entry; `perms` as ZooKeeper's bits (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16) or letters `rwcda`. */
export interface AclEntry {
  scheme: string;
  id: string;
  perms: number | string;
}

/** An ACL: a preset or a list of entries. */
export type AclOption = AclPreset | readonly AclEntry[];

/** TLS settings, as Node's `tls.connect` takes them. */
export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/** A normalized ACL entry. */
export interface ResolvedAclEntry {
  scheme: string;
  id: string;
  perms: number;
}

/** ZooKeeper's permission bits. */
export const PERMS = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

const LETTERS: Record<string, number> = { r: PERMS.READ, w: PERMS.WRITE, c: PERMS.CREATE, d: PERMS.DELETE, a: PERMS.ADMIN };
const ANYONE = { scheme: 'world', id: 'anyone' } as const;
/** ZooKeeper's `auth` scheme with an empty id: every identity the creating session has authenticated with. */
const CREATOR = { scheme: 'auth', id: '' } as const;

/** The entries of each preset. */
export const ACL_PRESETS: Record<AclPreset, readonly ResolvedAclEntry[]> = {
  open: [{ ...ANYONE, perms: PERMS.ALL }],
  'creator-all': [{ ...CREATOR, perms: PERMS.ALL }],
  'creator-all-world-read': [
    { ...CREATOR, perms: PERMS.ALL },
    { ...ANYONE, perms: PERMS.READ },
  ],
};

const TLS_KEYS = keysOf<TlsOptions>({ ca: true, cert: true, key: true, passphrase: true, servername: true, rejectUnauthorized: true });
const AUTH_ENTRY_KEYS = keysOf<AuthEntry>({ scheme: true, credentials: true });
const ACL_ENTRY_KEYS = keysOf<AclEntry>({ scheme: true, id: true, perms: true });

/** Checks `auth` (or `ZK_AUTH=scheme:credentials`), returning the credentials as bytes. */
export function resolveAuth(value: unknown): Array<{ scheme: string; credentials: Buffer }> {
  if (value === undefined) {
    const env = process.env.ZK_AUTH;
    if (env === undefined || env.trim() === '') return [];
    const colon = env.indexOf(':');
    if (colon <= 0) throw new ConfigurationError('ZK_AUTH', 'must be scheme:credentials, e.g. digest:user:password');
    return [{ scheme: env.slice(0, colon), credentials: Buffer.from(env.slice(colon + 1)) }];
  }
  if (!Array.isArray(value)) throw new ConfigurationError('auth', 'must be an array of { scheme, credentials }');
  return value.map((entry: unknown, i) => {
    const where = `auth[${i}]`;
    if (entry === null || typeof entry !== 'object') throw new ConfigurationError(where, 'must be { scheme, credentials }');
    knownKeys(entry, AUTH_ENTRY_KEYS, where, ConfigurationError);
    const { scheme, credentials } = entry as AuthEntry;
    if (typeof scheme !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(scheme)) {
      throw new ConfigurationError(`${where}.scheme`, `must be a scheme name such as "digest", got ${JSON.stringify(scheme)}`);
    }
    if (typeof credentials !== 'string' && !(credentials instanceof Uint8Array)) {
      throw new ConfigurationError(`${where}.credentials`, 'must be a string or bytes');
    }
    if (scheme === 'digest' && (typeof credentials !== 'string' || !/^[^:]+:/.test(credentials))) {
      throw new ConfigurationError(`${where}.credentials`, 'digest credentials are "user:password"');
    }
    const bytes = Buffer.from(credentials);
    if (bytes.length > 4096) throw new ConfigurationError(`${where}.credentials`, `must be at most 4096 bytes, got ${bytes.length}`);
    return { scheme, credentials: bytes };
  });
}

/** Parses `perms` given as bits or as letters `rwcda`. */
function permsOf(value: unknown, argument: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= PERMS.ALL) return value;
  if (typeof value === 'string' && /^[rwcda]*$/.test(value)) return [...value].reduce((bits, letter) => bits | LETTERS[letter]!, 0);
  throw new ConfigurationError(argument, `must be bits 0-31 or letters of "rwcda", got ${JSON.stringify(value)}`);
}

/** Checks an ACL option (a preset or entries), returning normalized entries. */
export function resolveAcl(value: unknown, argument = 'acl'): readonly ResolvedAclEntry[] {
  if (value === undefined) return ACL_PRESETS.open;
  if (typeof value === 'string') {
    const preset = ACL_PRESETS[value as AclPreset];
    if (!preset) throw new ConfigurationError(argument, `must be ${Object.keys(ACL_PRESETS).map((k) => `"${k}"`).join(', ')} or a list of { scheme, id, perms }, got ${JSON.stringify(value)}`);
    return preset;
  }
  if (!Array.isArray(value) || value.length === 0) throw new ConfigurationError(argument, 'must be a preset name or a non-empty list of { scheme, id, perms }');
  return value.map((entry: unknown, i) => {
    const where = `${argument}[${i}]`;
    if (entry === null || typeof entry !== 'object') throw new ConfigurationError(where, 'must be { scheme, id, perms }');
    knownKeys(entry, ACL_ENTRY_KEYS, where, ConfigurationError);
    const { scheme, id, perms } = entry as AclEntry;
    if (typeof scheme !== 'string' || scheme === '') throw new ConfigurationError(`${where}.scheme`, 'must be a scheme name such as "digest", "world", "x509"');
    if (typeof id !== 'string') throw new ConfigurationError(`${where}.id`, 'must be a string');
    return { scheme, id, perms: permsOf(perms, `${where}.perms`) };
  });
}

/** True when `acl` grants through the creator's identity but the session would have none (no auth, no client certificate). */
export function lacksIdentity(acl: readonly ResolvedAclEntry[], auth: readonly unknown[], tls: ConnectionOptions | undefined): boolean {
  return needsIdentity(acl) && auth.length === 0 && !tls?.cert;
}

/** True when an ACL grants through the creator's identity (`auth` scheme), which needs one. */
export function needsIdentity(acl: readonly ResolvedAclEntry[]): boolean {
  return acl.some((entry) => entry.scheme === 'auth');
}

function readPem(name: string): Buffer | undefined {
  const file = process.env[name];
  if (file === undefined || file.trim() === '') return undefined;
  try {
    return fs.readFileSync(file);
  } catch (cause) {
    throw new ConfigurationError(name, `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Checks `tls` (or `ZK_TLS_CA`/`ZK_TLS_CERT`/`ZK_TLS_KEY` file paths); undefined means plain TCP. */
export function resolveTls(value: unknown): ConnectionOptions | undefined {
  if (value === undefined) {
    const ca = readPem('ZK_TLS_CA');
    const cert = readPem('ZK_TLS_CERT');
    const key = readPem('ZK_TLS_KEY');
    if (!ca && !cert && !key) return undefined;
    if (Boolean(cert) !== Boolean(key)) throw new ConfigurationError(cert ? 'ZK_TLS_KEY' : 'ZK_TLS_CERT', 'a client certificate needs both ZK_TLS_CERT and ZK_TLS_KEY');
    return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') throw new ConfigurationError('tls', 'must be an object of tls.connect options (ca, cert, key, servername, rejectUnauthorized), true or false');
  knownKeys(value, TLS_KEYS, 'tls', ConfigurationError);
  const o = value as TlsOptions;
  if (Boolean(o.cert) !== Boolean(o.key)) throw new ConfigurationError(o.cert ? 'tls.key' : 'tls.cert', 'a client certificate needs both cert and key');
  if (o.rejectUnauthorized !== undefined && typeof o.rejectUnauthorized !== 'boolean') throw new ConfigurationError('tls.rejectUnauthorized', 'must be a boolean');
  if (o.servername !== undefined && typeof o.servername !== 'string') throw new ConfigurationError('tls.servername', 'must be a string');
  return { ...o };
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What a TLS error code says went wrong, or undefined for errors that are not about TLS (a reset,
 * a refused port): those are retried like any connection failure, these are not.
 */
export function describeTlsFailure(code: string | undefined, message = ''): string | undefined {
  if (code === undefined) return undefined;
  // Node's words for a server that hung up in the middle of the handshake (a plain port answers a ClientHello so).
  if (code === 'ECONNRESET' && message.includes('before secure TLS connection was established')) {
    return 'the server closed the connection during the TLS handshake (a plain clientPort?)';
  }
  if (UNKNOWN_CA.has(code)) return "the server's certificate is not signed by a CA we trust (unknown CA)";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "the server's certificate is for another host name";
  if (code === 'CERT_HAS_EXPIRED') return "the server's certificate has expired";
  if (code === 'CERT_NOT_YET_VALID') return "the server's certificate is not valid yet";
  if (code === 'CERT_REVOKED') return "the server's certificate was revoked";
  if (/^ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|ACCESS_DENIED)$/.test(code)) {
    return 'the server refused our client certificate (or its absence)';
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
    return 'the server does not speak TLS on this port (a plain clientPort?)';
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'the TLS handshake failed';
  return undefined;
}
