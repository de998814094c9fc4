/**
 * The one place that loads `node-zookeeper-client` 1.1.3 and names the internals zoosync relies
 * on: its ConnectionManager (request queue, socket, state) and its jute protocol records.
 * Everything else in zoosync goes through `Connection`.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

const require = createRequire(import.meta.url);

/** An 8-byte big-endian long as the client decodes it. */
export type JuteLong = Buffer;

/** The Stat record as the client decodes it. */
export interface JuteStat {
  czxid: JuteLong;
  mzxid: JuteLong;
  ctime: JuteLong;
  mtime: JuteLong;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: JuteLong;
  dataLength: number;
  numChildren: number;
  pzxid: JuteLong;
}

/** A reply as handed to a queued request's callback. */
export interface JuteResponse {
  header: { xid: number; zxid: JuteLong; err: number };
  payload: any;
}

/** What a queued request's callback receives. */
export type QueueCallback = (error: (Error & { code?: number }) | null, response?: JuteResponse) => void;

/** The client's ConnectionManager, with the members zoosync drives directly. */
export interface ConnectionManager {
  state: number;
  socket: Socket | undefined;
  sessionTimeout: number;
  chrootPath: string | undefined;
  queue(request: unknown, callback: QueueCallback): void;
  setState(state: number): void;
  registerDataWatcher(path: string, watcher: (event: ClientEvent) => void): void;
  registerChildWatcher(path: string, watcher: (event: ClientEvent) => void): void;
  registerExistenceWatcher(path: string, watcher: (event: ClientEvent) => void): void;
  onSocketData(buffer: Buffer): void;
  onSocketConnected(): void;
  connect(): void;
  findNextServer(callback: (server: unknown) => void): void;
  watcherManager: WatcherManager;
}

/** The client's per-path registry of one-shot watchers. */
export interface WatcherManager {
  dataWatchers: Record<string, import('node:events').EventEmitter | undefined>;
  childWatchers: Record<string, import('node:events').EventEmitter | undefined>;
  existenceWatchers: Record<string, import('node:events').EventEmitter | undefined>;
}

/** A watch notification as the client delivers it. */
export interface ClientEvent {
  type: number;
  name: string;
  path: string;
}

/** The client object itself. */
export interface ZkClient {
  connectionManager: ConnectionManager;
  on(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  connect(): void;
  close(): void;
  getSessionTimeout(): number;
  getSessionId(): Buffer;
}

interface ClientModule {
  createClient(hosts: string, options: { sessionTimeout: number; spinDelay: number; retries: number }): ZkClient;
  ACL: { OPEN_ACL_UNSAFE: Array<{ toRecord(): unknown }> };
}

interface JuteModule {
  OP_CODES: Record<string, number>;
  protocol: Record<string, new (...args: any[]) => any>;
  Request: new (header: unknown, payload: unknown) => unknown;
}

/** The client module. */
export const client = require('node-zookeeper-client') as ClientModule;
/** The client's jute protocol module (request and record classes, op codes). */
export const jute = require('node-zookeeper-client/lib/jute') as JuteModule;
/** ConnectionManager.STATES: the numeric connection states of the client. */
export const CM_STATES = (require('node-zookeeper-client/lib/ConnectionManager.js') as { STATES: Record<string, number> })
  .STATES as {
  DISCONNECTED: number;
  CONNECTING: number;
  CONNECTED: number;
  CONNECTED_READ_ONLY: number;
  CLOSING: number;
  CLOSED: number;
  SESSION_EXPIRED: number;
  AUTHENTICATION_FAILED: number;
};

/** The open ACL records every zoosync node is created with (Go: `WorldACL(PermAll)`). */
export const OPEN_ACL = client.ACL.OPEN_ACL_UNSAFE.map((acl) => acl.toRecord());

/** Reads a jute long as a bigint. */
export function longToBigInt(value: JuteLong): bigint {
  return value.readBigInt64BE(0);
}
