/**
 * The one place that loads `node-zookeeper-client` 1.1.3 and names the internals zoosync relies
 * on: its ConnectionManager (request queue, socket, state) and its jute protocol records.
 * Everything else in zoosync goes through `Connection`.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

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
  onPacketQueueReadable(): void;
  connect(): void;
  findNextServer(callback: (server: unknown) => void): void;
  watcherManager: WatcherManager;
  /** The next request's xid (an int32 on the wire). */
  xid: number;
  /** The last zxid seen, sent in SetWatches so the server can tell what we missed. */
  zxid: Buffer;
  packetQueue: PacketQueue;
  /** Requests written and not yet answered, in the order they were written. */
  pendingQueue: QueuedPacket[];
}

/** A request in the client's queue. */
export interface QueuedPacket {
  request: { header: { type: number; xid?: number } | null; toBuffer(): Buffer };
  callback: unknown;
}

/** The client's outgoing queue (an EventEmitter that emits `readable` on every push). */
export interface PacketQueue extends EventEmitter {
  queue: QueuedPacket[];
  unshift(packet: unknown): void;
  shift(): QueuedPacket | undefined;
}

/** The client's per-path registry of one-shot watchers. */
export interface WatcherManager {
  dataWatchers: Record<string, import('node:events').EventEmitter | undefined>;
  childWatchers: Record<string, import('node:events').EventEmitter | undefined>;
  existenceWatchers: Record<string, import('node:events').EventEmitter | undefined>;
  isEmpty(): boolean;
  getDataWatcherPaths(): string[];
  getExistenceWatcherPaths(): string[];
  getChildWatcherPaths(): string[];
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
  ACL: { OPEN_ACL_UNSAFE: Array<{ toRecord(): unknown }> } & (new (perms: number, id: unknown) => { toRecord(): unknown });
  Id: new (scheme: string, id: string) => unknown;
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

/**
 * node-zookeeper-client 1.1.3 opens plain sockets only (`net.connect` in
 * `ConnectionManager.connect`). Connects as it does, over TLS: the same handlers, with the
 * ZooKeeper handshake sent once the TLS handshake is done; the framing above does not care which
 * socket it has. `onError` hears every socket error first, with the server it came from.
 * Shown by tls.test.ts.
 */
export function connectTls(cm: ConnectionManager, options: ConnectionOptions, onError: (error: Error & { code?: string }, server: string) => void): void {
  const m = cm as ConnectionManager & Record<string, any>;
  cm.setState(CM_STATES.CONNECTING);
  cm.findNextServer((server: unknown) => {
    const { host, port } = server as { host: string; port: number };
    const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
    const socket = tlsConnect({ ...options, host, port, ...(servername === undefined ? {} : { servername }) });
    m.socket = socket;
    m.connectTimeoutHandler = setTimeout(m.onSocketConnectTimeout.bind(m), m.connectTimeout);
    socket.setNoDelay();
    socket.on('secureConnect', m.onSocketConnected.bind(m));
    socket.on('data', m.onSocketData.bind(m));
    socket.on('drain', m.onSocketDrain.bind(m));
    socket.on('close', m.onSocketClosed.bind(m));
    socket.on('error', (error: Error & { code?: string }) => {
      onError(error, `${host}:${port}`);
      m.onSocketError(error);
    });
  });
}

/** Registers an authentication the client sends on every connection (it keeps them for reconnects). */
export function addAuth(zk: ZkClient, scheme: string, credentials: Buffer): void {
  (zk as ZkClient & { addAuthInfo(scheme: string, auth: Buffer): void }).addAuthInfo(scheme, credentials);
}

const aclRecordCache = new WeakMap<readonly AclEntryLike[], unknown[]>();

/** An ACL entry as zoosync holds it. */
export interface AclEntryLike {
  scheme: string;
  id: string;
  perms: number;
}

/** The jute records of an ACL list (cached per list: presets and a session's ACL are built once). */
export function aclRecords(entries: readonly AclEntryLike[]): unknown[] {
  let records = aclRecordCache.get(entries);
  if (!records) {
    records = entries.map((e) => new client.ACL(e.perms, new client.Id(e.scheme, e.id)).toRecord());
    aclRecordCache.set(entries, records);
  }
  return records;
}

/** Reads a jute long as a bigint. */
export function longToBigInt(value: JuteLong): bigint {
  return value.readBigInt64BE(0);
}

/** ZooKeeper's `OpCode.createContainer` (3.5+): a CreateRequest whose node the server removes once empty. */
export const CREATE_CONTAINER_OP = 19;

/** Where `Request.toBuffer` writes the op code: after the int32 length and the int32 xid. */
const SERIALIZED_TYPE_OFFSET = 8;

/** The jute Request members `withSerializedOpCode` relies on. */
interface SerializableRequest {
  header: { type: number; xid?: number } | null;
  toBuffer(): Buffer;
}

/**
 * node-zookeeper-client 1.1.3 cannot send createContainer (no op code, no API), and destroys the
 * socket on a reply to an op code it does not know. Makes a request queued as another op (a
 * CREATE, so the client still matches and parses the reply as a create's) go out with `opCode` in
 * its serialized header instead: `header.type` is left alone, only the bytes change. Checked
 * against ZooKeeper 3.8 (a createContainer reply parses as a create's, the connection stays); shown
 * by containers.test.ts "an election parent is a container".
 */
export function withSerializedOpCode<R>(request: R, opCode: number): R {
  const r = request as SerializableRequest;
  const toBuffer = r.toBuffer.bind(r);
  r.toBuffer = () => {
    const buffer = toBuffer();
    buffer.writeInt32BE(opCode, SERIALIZED_TYPE_OFFSET);
    return buffer;
  };
  return request;
}

/** Refuses to load if `Request.toBuffer` no longer writes [length][xid][type] (what `withSerializedOpCode` patches). */
function checkRequestLayout(): void {
  const header = new jute.protocol.RequestHeader!();
  header.xid = 0x1234;
  header.type = jute.OP_CODES.CREATE;
  const bytes = (new jute.Request(header, null) as SerializableRequest).toBuffer();
  if (bytes.readInt32BE(4) !== 0x1234 || bytes.readInt32BE(SERIALIZED_TYPE_OFFSET) !== jute.OP_CODES.CREATE) {
    throw new Error('node-zookeeper-client: unexpected jute Request layout; zoosync was written for 1.1.3');
  }
}
checkRequestLayout();

const managers = new WeakMap<object, ConnectionManager>();

/** Records which ConnectionManager `owner` (a Connection) drives, so tests can reach it only through this module. */
export function registerManager(owner: object, cm: ConnectionManager): void {
  managers.set(owner, cm);
}

function managerOf(owner: object): ConnectionManager {
  const cm = managers.get(owner);
  if (!cm) throw new Error('no ConnectionManager registered for this connection');
  return cm;
}

/** The largest xid the wire's int32 can carry. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * node-zookeeper-client 1.1.3 numbers requests with `cm.xid`, an int32 that grows for the whole
 * session and is never wrapped: after 2^31 requests (4 days at 2,000 locks/s) `writeInt32BE`
 * throws a RangeError on every request and the process dies in the reconnect. Makes the counter
 * skip from 2^31-1 back to 1, as Java's `ClientCnxn.getXid` does (negative xids are reserved for
 * pings, auth, notifications and SetWatches). Shown by session.test.ts "the request counter wraps".
 */
export function wrapRequestCounter(cm: ConnectionManager): void {
  let xid = typeof cm.xid === 'number' ? cm.xid : 0;
  Object.defineProperty(cm, 'xid', {
    configurable: true,
    enumerable: true,
    get: () => xid,
    set: (value: number) => {
      xid = value >= INT32_MAX || value < 0 ? 1 : value;
    },
  });
}

/** The xid the next request of `owner`'s connection will carry (tests). */
export function requestCounter(owner: object): number {
  return managerOf(owner).xid;
}

/** Fast-forwards `owner`'s request counter, as months of traffic would (tests). */
export function setRequestCounter(owner: object, value: number): void {
  managerOf(owner).xid = value;
}

/** Java's `ClientCnxn.SET_WATCHES_MAX_LENGTH`: the path bytes one SetWatches packet carries at most. */
export const SET_WATCHES_CHUNK_BYTES = 128 * 1024;

/** Watched paths split into SetWatches payloads of at most `maxBytes` of paths each (chroot included). */
export function setWatchesChunks(
  watches: { data: string[]; exist: string[]; child: string[] },
  chroot: string | undefined,
  maxBytes = SET_WATCHES_CHUNK_BYTES,
): Array<{ data: string[]; exist: string[]; child: string[] }> {
  const chunks: Array<{ data: string[]; exist: string[]; child: string[] }> = [];
  let chunk = { data: [] as string[], exist: [] as string[], child: [] as string[] };
  let bytes = 0;
  const extra = chroot === undefined ? 0 : Buffer.byteLength(chroot);
  for (const kind of ['data', 'exist', 'child'] as const) {
    for (const path of watches[kind]) {
      const size = Buffer.byteLength(path) + extra + 4;
      if (bytes > 0 && bytes + size > maxBytes) {
        chunks.push(chunk);
        chunk = { data: [], exist: [], child: [] };
        bytes = 0;
      }
      chunk[kind].push(path);
      bytes += size;
    }
  }
  if (bytes > 0) chunks.push(chunk);
  return chunks;
}

/**
 * node-zookeeper-client 1.1.3 re-sends every watch in ONE SetWatches packet on reconnect, and
 * queues it (and the auth packets) behind requests made while disconnected. Past the server's
 * packet limit (`jute.maxbuffer`, 1 MiB: about 15,000 locks with ordinary ids) the server drops
 * every new connection and the session flaps forever. Runs the client's own handshake with the
 * watches hidden from it, then puts the auth packets first and the watches, in chunks of at most
 * 128 KiB as Java's `ClientCnxn.primeConnection` sends them, before anything else queued.
 * Shown by session.test.ts "20,000 watches survive a reconnect".
 */
export function handshakeWithChunkedWatches(cm: ConnectionManager, handshake: () => void): void {
  const wm = cm.watcherManager;
  const watches = wm.isEmpty()
    ? undefined
    : { data: wm.getDataWatcherPaths(), exist: wm.getExistenceWatcherPaths(), child: wm.getChildWatcherPaths() };
  const queue = cm.packetQueue.queue;
  const before = queue.length;
  wm.isEmpty = () => true;
  try {
    handshake();
  } finally {
    delete (wm as Partial<WatcherManager>).isEmpty;
  }
  const first: unknown[] = [];
  // The handshake queued its auth packets at the back: they must precede every request.
  for (let i = before; i < queue.length; ) {
    if (queue[i]!.request.header?.type === jute.OP_CODES.AUTH) first.push(...queue.splice(i, 1));
    else i++;
  }
  if (watches) {
    for (const chunk of setWatchesChunks(watches, cm.chrootPath)) {
      const header = new jute.protocol.RequestHeader!();
      header.type = jute.OP_CODES.SET_WATCHES;
      const payload = new jute.protocol.SetWatches!();
      payload.setChrootPath(cm.chrootPath);
      payload.relativeZxid = cm.zxid;
      payload.dataWatches = chunk.data;
      payload.existWatches = chunk.exist;
      payload.childWatches = chunk.child;
      first.push({ request: new jute.Request(header, payload), callback: () => undefined });
    }
  }
  for (let i = first.length - 1; i >= 0; i--) cm.packetQueue.unshift(first[i]);
}

/** The ConnectionManager members that hold its parsed server list (see ConnectionStringParser and `updateTimeout`). */
interface ServerListMembers {
  servers: Array<{ host: string; port: number }>;
  nextServerIndex: number;
  serverAttempts: number;
  updateTimeout(sessionTimeoutMs: number): void;
}

/**
 * Replaces the client's parsed server list (its parser split `[::1]:2181` at the first ":"),
 * shuffled as the parser shuffles it; call before `connect()`. Keeps the chroot it parsed.
 */
export function setServers(cm: ConnectionManager, servers: ReadonlyArray<{ host: string; port: number }>): void {
  if (servers.length === 0) throw new RangeError('setServers: the server list must not be empty');
  const list = servers.map(({ host, port }) => ({ host, port }));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  const members = cm as unknown as ServerListMembers;
  members.servers = list;
  members.nextServerIndex = 0;
  members.serverAttempts = 0;
  // connectTimeout is sessionTimeout / servers.length: recompute it for the new list.
  members.updateTimeout(cm.sessionTimeout);
}

/** How many bytes of requests one socket write carries at most (larger queues go out in several). */
export const MAX_WRITE_BYTES = 256 * 1024;

/**
 * node-zookeeper-client 1.1.3 writes every request with a `socket.write` of its own, at once
 * (`PacketQueue.push` emits `readable`, `onPacketQueueReadable` writes), so with many requests in
 * flight each is a TCP segment of its own and another wake-up of the server's selector and request
 * threads. Java's `ClientCnxnSocketNIO.doIO` drains its whole outgoing queue into one write. Makes
 * the queue flush once per tick instead: every request queued in one tick (and the microtasks it
 * runs) leaves in one socket write, in queue order, numbered and put in the pending queue as the
 * client does (each request's own `toBuffer()`, so `withSerializedOpCode` still applies). Back
 * pressure as before: a write the socket refuses waits for `drain`. Shown by session.test.ts "requests of one tick leave in one write".
 */
export function coalesceWrites(cm: ConnectionManager): void {
  let scheduled = false;
  const counts = { writes: 0, requests: 0 };
  writeCountsOf.set(cm, counts);
  const onWrite = (requests: number): void => {
    counts.writes++;
    counts.requests += requests;
  };
  const flush = (): void => {
    scheduled = false;
    writeQueued(cm, onWrite);
  };
  cm.packetQueue.removeAllListeners('readable');
  cm.packetQueue.on('readable', () => {
    if (scheduled) return;
    scheduled = true;
    process.nextTick(flush);
  });
  // Called by the client itself once connected and on `drain`: write what is queued now.
  cm.onPacketQueueReadable = flush;
}

const writeCountsOf = new WeakMap<ConnectionManager, { writes: number; requests: number }>();

/** How many socket writes `owner`'s connection made so far, and how many packets they carried (tests). */
export function writeCounts(owner: object): { writes: number; requests: number } {
  return { ...(writeCountsOf.get(managerOf(owner)) ?? { writes: 0, requests: 0 }) };
}

/** `onPacketQueueReadable` of 1.1.3, writing the queue in as few socket writes as `MAX_WRITE_BYTES` allows. */
function writeQueued(cm: ConnectionManager, onWrite: (requests: number) => void): void {
  const socket = cm.socket;
  const s = CM_STATES;
  if (!socket || !(cm.state === s.CONNECTED || cm.state === s.CONNECTED_READ_ONLY || cm.state === s.CLOSING)) return;
  const OP = jute.OP_CODES;
  let buffers: Buffer[] = [];
  let bytes = 0;
  const write = (): boolean => {
    if (buffers.length === 0) return true;
    const chunk = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, bytes);
    onWrite(buffers.length);
    buffers = [];
    bytes = 0;
    return socket.write(chunk);
  };
  let packet: QueuedPacket | undefined;
  while ((packet = cm.packetQueue.shift()) !== undefined) {
    const header = packet.request.header!;
    if (header.type !== OP.PING && header.type !== OP.AUTH) {
      header.xid = cm.xid;
      cm.xid += 1;
      cm.pendingQueue.push(packet);
    }
    const buffer = packet.request.toBuffer();
    buffers.push(buffer);
    bytes += buffer.length;
    // The close request is the last packet the session sends.
    if (header.type === OP.CLOSE_SESSION) break;
    // The rest waits for `drain` (the client calls onPacketQueueReadable again).
    if (bytes >= MAX_WRITE_BYTES && !write()) return;
  }
  write();
}

/**
 * node-zookeeper-client 1.1.3 parses a chunk of replies recursively, one frame per call, copying
 * what is left of the chunk each time (`Buffer.concat` of the rest): a chunk of n replies costs
 * O(n^2) bytes copied and n stack frames, and a partial frame left from a closed socket is glued
 * to the next connection's first reply. Cuts each chunk into whole frames and hands the client
 * one frame at a time (which it parses without copying), keeping a partial frame for the next
 * chunk of the same socket only. Shown by session.test.ts "requests of one tick leave in one write"
 * (hundreds of replies arrive in one chunk).
 */
export function frameReplies(cm: ConnectionManager): void {
  // The prototype's handler, called below with `cm` as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- it is always called through .call(cm, …)
  const parse = (Object.getPrototypeOf(cm) as ConnectionManager).onSocketData;
  let rest: Buffer | undefined;
  let restOf: Socket | undefined;
  cm.onSocketData = (chunk: Buffer): void => {
    const socket = cm.socket;
    const buffer = rest !== undefined && restOf === socket ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const end = offset + 4 + buffer.readInt32BE(offset);
      if (end > buffer.length) break;
      parse.call(cm, buffer.subarray(offset, end));
      offset = end;
      // The client gave up on this socket (a reply it could not match): the rest is void.
      if (cm.socket !== socket || socket?.destroyed) return;
    }
    if (offset < buffer.length) {
      // Copied: a view would keep the whole chunk alive.
      rest = Buffer.from(buffer.subarray(offset));
      restOf = socket;
    }
  };
}
