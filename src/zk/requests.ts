/**
 * ZooKeeper requests as plain objects, their jute encoding, and the decoding of their replies
 * into typed results and typed errors. The create reply header's zxid is kept: it equals the
 * new node's czxid, which makes a fencing token free.
 */
import { errorFromZkCode } from '../errors.js';
import {
  type ClientEvent,
  type ConnectionManager,
  type JuteResponse,
  type JuteStat,
  type QueueCallback,
  CREATE_CONTAINER_OP,
  jute,
  longToBigInt,
  OPEN_ACL,
  aclRecords,
  type AclEntryLike,
  withSerializedOpCode,
} from './client-internals.js';

/** Node metadata, with zxids as bigints. */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

/** A watch notification. */
export interface WatchEvent {
  type: 'created' | 'deleted' | 'changed' | 'children';
  path: string;
}

/** A one-shot watch callback. */
export type Watcher = (event: WatchEvent) => void;

/** ZooKeeper create modes. */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  /** A container (3.5+, Curator `CreateMode.CONTAINER`): the server removes it once it is empty; sent as createContainer. */
  CONTAINER: 4,
} as const;

/** A request. */
export type Op =
  | { op: 'create'; path: string; data?: Buffer; mode: number; acl?: readonly AclEntryLike[] }
  | { op: 'delete'; path: string; version?: number }
  | { op: 'exists'; path: string; watch?: Watcher }
  | { op: 'getData'; path: string; watch?: Watcher }
  | { op: 'setData'; path: string; data: Buffer; version?: number }
  | { op: 'getChildren'; path: string; watch?: Watcher };

/** The result of a create: the node's actual path and the zxid that created it (its czxid). */
export interface CreateResult {
  path: string;
  zxid: bigint;
}

/** The result type of each request. */
export type OpResult<T extends Op> = T extends { op: 'create' }
  ? CreateResult
  : T extends { op: 'exists' }
    ? Stat | null
    : T extends { op: 'getData' }
      ? { data: Buffer; stat: Stat }
      : T extends { op: 'setData' }
        ? Stat
        : T extends { op: 'getChildren' }
          ? string[]
          : void;

const EVENT_TYPES: Record<number, WatchEvent['type']> = { 1: 'created', 2: 'deleted', 3: 'changed', 4: 'children' };

/** Converts a client watch notification. */
export function watchEventOf(event: ClientEvent): WatchEvent {
  return { type: EVENT_TYPES[event.type] ?? 'changed', path: event.path };
}

/** Adapts a watcher to the client's callback; built here so a pending watch keeps nothing else of its request alive. */
function clientWatcher(watch: Watcher, forgettable = true): (event: ClientEvent) => void {
  const adapted = (event: ClientEvent): void => watch(watchEventOf(event));
  if (forgettable) adapters.set(watch, adapted);
  return adapted;
}

const adapters = new WeakMap<Watcher, (event: ClientEvent) => void>();
/** Watchers given up on: one whose request is still in flight must not be registered when its reply comes. */
const forgotten = new WeakSet<Watcher>();

/** True if `watch` should go into the client's registry with its request's reply. */
const wanted = (watch: Watcher | undefined): watch is Watcher => watch !== undefined && !forgotten.has(watch);

/**
 * Removes a data or existence watcher that has not fired from the client's registry (the server's
 * one-shot watch stays, harmlessly), or keeps it from being registered if its request has not
 * been answered yet.
 */
export function forgetWatcher(cm: ConnectionManager, path: string, watch: Watcher): void {
  forgotten.add(watch);
  const adapted = adapters.get(watch);
  if (!adapted) return;
  const registry = cm.watcherManager;
  for (const kind of ['dataWatchers', 'childWatchers', 'existenceWatchers'] as const) {
    const emitter = registry[kind][path];
    if (!emitter) continue;
    emitter.removeListener('notification', adapted);
    if (emitter.listenerCount('notification') === 0) delete registry[kind][path];
  }
}

/** Converts a jute Stat record. */
export function statOf(s: JuteStat): Stat {
  return {
    czxid: longToBigInt(s.czxid),
    mzxid: longToBigInt(s.mzxid),
    pzxid: longToBigInt(s.pzxid),
    ctime: Number(longToBigInt(s.ctime)),
    mtime: Number(longToBigInt(s.mtime)),
    version: s.version,
    cversion: s.cversion,
    ephemeralOwner: longToBigInt(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

const P = jute.protocol;
const OP = jute.OP_CODES;

function header(type: number | undefined): unknown {
  const h = new P.RequestHeader!();
  h.type = type;
  return h;
}

function createRecord(path: string, data: Buffer | undefined, mode: number, acl: readonly AclEntryLike[] | undefined): unknown {
  const r = new P.CreateRequest!();
  r.path = path;
  r.data = data ?? Buffer.alloc(0);
  r.acl = acl === undefined ? OPEN_ACL : aclRecords(acl);
  r.flags = mode;
  return r;
}

/** A create, or with mode CONTAINER a createContainer (queued as a create, so its reply parses as one). */
function createRequest(path: string, data: Buffer | undefined, mode: number, acl: readonly AclEntryLike[] | undefined): unknown {
  const request = new jute.Request(header(OP.CREATE), createRecord(path, data, mode, acl));
  return mode === CreateMode.CONTAINER ? withSerializedOpCode(request, CREATE_CONTAINER_OP) : request;
}

function pathRecord(type: string, path: string, extra: Record<string, unknown>): unknown {
  const r = new P[type]!();
  r.path = path;
  Object.assign(r, extra);
  return r;
}

type Finish = (error: Parameters<QueueCallback>[0], response: JuteResponse | undefined) => unknown;

/** Encodes a request for the client's queue, with the function that decodes its reply; a create without an ACL gets `defaultAcl`. */
export function requestFor(op: Op, cm: ConnectionManager, defaultAcl?: readonly AclEntryLike[]): { request: unknown; finish: Finish } {
  const fail = (error: { code?: number }, path?: string): never => {
    throw errorFromZkCode(error.code ?? -1, path);
  };
  switch (op.op) {
    case 'create':
      return {
        request: createRequest(op.path, op.data, op.mode, op.acl ?? defaultAcl),
        finish: (e, r) => (e ? fail(e, op.path) : { path: r!.payload.path as string, zxid: longToBigInt(r!.header.zxid) }),
      };
    case 'delete':
      return {
        request: new jute.Request(header(OP.DELETE), pathRecord('DeleteRequest', op.path, { version: op.version ?? -1 })),
        finish: (e) => (e ? fail(e, op.path) : undefined),
      };
    case 'setData':
      return {
        request: new jute.Request(
          header(OP.SET_DATA),
          pathRecord('SetDataRequest', op.path, { data: op.data, version: op.version ?? -1 }),
        ),
        finish: (e, r) => (e ? fail(e, op.path) : statOf(r!.payload.stat)),
      };
    case 'exists':
      return {
        request: new jute.Request(header(OP.EXISTS), pathRecord('ExistsRequest', op.path, { watch: op.watch !== undefined })),
        finish: (e, r) => {
          if (e && e.code !== -101) return fail(e, op.path);
          const exists = !e;
          if (wanted(op.watch)) {
            const cb = clientWatcher(op.watch);
            if (exists) cm.registerDataWatcher(op.path, cb);
            else cm.registerExistenceWatcher(op.path, cb);
          }
          return exists ? statOf(r!.payload.stat) : null;
        },
      };
    case 'getData':
      return {
        request: new jute.Request(header(OP.GET_DATA), pathRecord('GetDataRequest', op.path, { watch: op.watch !== undefined })),
        finish: (e, r) => {
          if (e) return fail(e, op.path);
          if (wanted(op.watch)) {
            cm.registerDataWatcher(op.path, clientWatcher(op.watch));
          }
          return { data: (r!.payload.data as Buffer | null) ?? Buffer.alloc(0), stat: statOf(r!.payload.stat) };
        },
      };
    case 'getChildren':
      return {
        request: new jute.Request(
          header(OP.GET_CHILDREN2),
          pathRecord('GetChildren2Request', op.path, { watch: op.watch !== undefined }),
        ),
        finish: (e, r) => {
          if (e) return fail(e, op.path);
          if (op.watch) {
            // Child watches are never forgotten (they guard a holder until they fire): no registry entry.
            cm.registerChildWatcher(op.path, clientWatcher(op.watch, false));
          }
          return r!.payload.children as string[];
        },
      };
  }
}
