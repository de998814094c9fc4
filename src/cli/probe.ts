/**
 * What `doctor` measures of one server: TCP (or TLS) reachability, the `srvr`/`mntr` four-letter
 * words, and a real session: the negotiated timeout and the clock offset read from the mtime of
 * an ephemeral node it creates and deletes.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { CreateMode } from '../zk/requests.js';
import { describeTlsFailure } from '../zk/security.js';
import { Session, ZoosyncError, type SessionOptions } from '../index.js';

/** One server of the connect string. */
export interface Host {
  host: string;
  port: number;
}

/** The TLS handshake as seen from here. */
export interface TlsReport {
  authorized: boolean;
  protocol: string | null;
  cipher?: string;
  /** The server certificate's subject CN and expiry, when it sent one. */
  peer?: string;
  validTo?: string;
  error?: string;
}

/** Whether the port answers, and how long the connect (and handshake) took. */
export interface Reach {
  reachable: boolean;
  connectMs?: number;
  error?: string;
  tls?: TlsReport;
}

function open(h: Host, tls: ConnectionOptions | undefined): Socket | TLSSocket {
  if (!tls) return netConnect({ host: h.host, port: h.port });
  const servername = tls.servername ?? (isIP(h.host) === 0 ? h.host : undefined);
  return tlsConnect({ ...tls, host: h.host, port: h.port, ...(servername === undefined ? {} : { servername }) });
}

/** Connects (with TLS when configured) and hangs up; never rejects. */
export function reach(h: Host, tls: ConnectionOptions | undefined, timeoutMs: number): Promise<Reach> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = open(h, tls);
    const done = (r: Reach): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ reachable: false, error: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      const connectMs = Math.round(performance.now() - started);
      if (!tls) return done({ reachable: true, connectMs });
      const s = socket as TLSSocket;
      const cert = s.getPeerCertificate();
      const peer = cert?.subject?.CN;
      done({
        reachable: true,
        connectMs,
        tls: {
          authorized: s.authorized,
          protocol: s.getProtocol(),
          cipher: s.getCipher()?.name,
          ...(peer ? { peer: String(peer) } : {}),
          ...(cert?.valid_to ? { validTo: new Date(cert.valid_to).toISOString() } : {}),
          ...(s.authorizationError ? { error: String(s.authorizationError) } : {}),
        },
      });
    });
    socket.once('error', (error: Error & { code?: string }) => {
      const tlsProblem = tls ? describeTlsFailure(error.code, error.message) : undefined;
      done({ reachable: false, error: tlsProblem ? `${tlsProblem} (${error.code})` : error.message, ...(tlsProblem ? { tls: { authorized: false, protocol: null, error: tlsProblem } } : {}) });
    });
  });
}

/** Sends a four-letter word and resolves with the whole reply (rejects on error or silence). */
export function fourLetterWord(h: Host, tls: ConnectionOptions | undefined, word: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = open(h, tls);
    let settled = false;
    const done = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => done(new Error(`no answer to "${word}" within ${timeoutMs} ms`)), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(word));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.once('end', () => done());
    socket.once('close', () => done());
    socket.once('error', (e: Error) => done(e));
  });
}

/** What the four-letter words said. */
export interface ServerInfo {
  /** The word that answered, or the last one tried. */
  word: 'srvr' | 'mntr';
  /** False when the server refuses the words (`4lw.commands.whitelist`). */
  whitelisted: boolean;
  version?: string;
  /** `standalone`, `leader`, `follower`, `observer`, or `not serving`. */
  mode?: string;
  error?: string;
}

const NOT_WHITELISTED = /is not executed because it is not in the whitelist/;

/** Parses a `srvr` reply (`Zookeeper version: …`, `Mode: …`) or a `mntr` one (`zk_version`, `zk_server_state`). */
export function parseServerInfo(word: 'srvr' | 'mntr', reply: string): ServerInfo {
  if (NOT_WHITELISTED.test(reply)) return { word, whitelisted: false };
  if (/not currently serving requests/.test(reply)) return { word, whitelisted: true, mode: 'not serving' };
  const field = (re: RegExp): string | undefined => re.exec(reply)?.[1]?.trim();
  const version = word === 'srvr' ? field(/^Zookeeper version:\s*(.+)$/m) : field(/^zk_version\s+(.+)$/m);
  const mode = word === 'srvr' ? field(/^Mode:\s*(.+)$/m) : field(/^zk_server_state\s+(.+)$/m);
  return { word, whitelisted: true, ...(version ? { version } : {}), ...(mode ? { mode } : {}), ...(!version && !mode ? { error: `unexpected reply ${JSON.stringify(reply.slice(0, 80))}` } : {}) };
}

/** Asks `srvr`, then `mntr` if `srvr` is not whitelisted; never rejects. */
export async function serverInfo(h: Host, tls: ConnectionOptions | undefined, timeoutMs: number): Promise<ServerInfo> {
  let info: ServerInfo = { word: 'srvr', whitelisted: false };
  for (const word of ['srvr', 'mntr'] as const) {
    try {
      info = parseServerInfo(word, await fourLetterWord(h, tls, word, timeoutMs));
    } catch (error) {
      return { word, whitelisted: false, error: (error as Error).message };
    }
    if (info.whitelisted) return info;
  }
  return info;
}

/** A real session's view of the server. */
export interface SessionReport {
  ok: boolean;
  sessionId?: string;
  requestedTimeoutMs: number;
  negotiatedTimeoutMs?: number;
  /** Server clock minus ours (ms), from an ephemeral node's mtime; `uncertaintyMs` is half the round trip. */
  clock?: { offsetMs: number; uncertaintyMs: number } | { error: string };
  error?: string;
  errorCode?: string;
}

const errorText = (error: unknown): { error: string; errorCode?: string } =>
  error instanceof ZoosyncError ? { error: error.message, errorCode: error.code } : { error: (error as Error).message };

/** Opens a session to `host` alone (chroot, auth and TLS as configured), measures, and closes it. */
export async function probeSession(options: SessionOptions, host: string): Promise<SessionReport> {
  const session = new Session({ ...options, hosts: host });
  const requestedTimeoutMs = session.options.sessionTimeoutMs;
  try {
    const conn = await session.connection();
    const report: SessionReport = { ok: true, sessionId: `0x${conn.sessionId}`, requestedTimeoutMs, negotiatedTimeoutMs: conn.sessionTimeoutMs };
    report.clock = await clockOffset(session).catch((error: unknown) => ({ error: errorText(error).error }));
    return report;
  } catch (error) {
    return { ok: false, requestedTimeoutMs, ...errorText(error) };
  } finally {
    await session.close();
  }
}

/** Creates an ephemeral node, reads its mtime, deletes it: offset = mtime - the middle of the create's round trip. */
async function clockOffset(session: Session): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const path = `/zoosync-doctor-${randomBytes(6).toString('hex')}`;
  const before = Date.now();
  await session.request({ op: 'create', path, mode: CreateMode.EPHEMERAL });
  const after = Date.now();
  try {
    const stat = await session.request({ op: 'exists', path });
    if (!stat) throw new Error(`${path} vanished before its mtime was read`);
    return { offsetMs: Math.round(stat.mtime - (before + after) / 2), uncertaintyMs: Math.ceil((after - before) / 2) };
  } finally {
    await session.request({ op: 'delete', path }).catch(() => undefined);
  }
}
