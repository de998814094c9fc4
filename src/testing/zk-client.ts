/** A minimal typed, promise-based wrapper over node-zookeeper-client for the harness's own checks. */
import { createRequire } from 'node:module';

interface RawClient {
  connect(): void;
  close(): void;
  once(event: 'connected', cb: () => void): void;
  getState(): { name: string };
  create(path: string, data: Buffer | undefined, mode: number, cb: (err: ZkError | null, path: string) => void): void;
  remove(path: string, version: number, cb: (err: ZkError | null) => void): void;
  getData(path: string, cb: (err: ZkError | null, data: Buffer | undefined) => void): void;
  getChildren(path: string, cb: (err: ZkError | null, children: string[]) => void): void;
  exists(path: string, cb: (err: ZkError | null, stat: unknown) => void): void;
  mkdirp(path: string, cb: (err: ZkError | null, path: string) => void): void;
  setData(path: string, data: Buffer, version: number, cb: (err: ZkError | null) => void): void;
  setACL(path: string, acls: unknown[], version: number, cb: (err: ZkError | null) => void): void;
  addAuthInfo(scheme: string, auth: Buffer): void;
}

interface ZkError extends Error {
  code?: number;
  getCode?(): number;
}

interface ZkModule {
  ACL: new (perms: number, id: unknown) => unknown;
  Id: new (scheme: string, id: string) => unknown;
  createClient(
    connectString: string,
    options: { sessionTimeout: number; spinDelay: number; retries: number },
  ): RawClient;
}

const zk = createRequire(import.meta.url)('node-zookeeper-client') as ZkModule;

/** ZooKeeper error codes the harness cares about. */
export const ZkCode = { CONNECTION_LOSS: -4, NO_NODE: -101, NODE_EXISTS: -110, NOT_EMPTY: -111 } as const;

/** The ZooKeeper error code of an error from BareClient, if any. */
export function zkCode(err: unknown): number | undefined {
  const e = err as ZkError | undefined;
  return e?.getCode?.() ?? e?.code;
}

/** A bare node-zookeeper-client (retries 0) with promise methods that each give up after opTimeoutMs. */
export class BareClient {
  private readonly raw: RawClient;

  /** Use connectBare() instead. */
  constructor(
    readonly connectString: string,
    private readonly opTimeoutMs: number,
    sessionTimeout: number,
  ) {
    this.raw = zk.createClient(connectString, { sessionTimeout, spinDelay: 100, retries: 0 });
  }

  /** Connects, bounded by timeoutMs. */
  async connect(timeoutMs: number): Promise<void> {
    await this.bounded(timeoutMs, `connect to ${this.connectString}`, (cb) => {
      this.raw.once('connected', () => cb(null, undefined));
      this.raw.connect();
    });
  }

  /** Creates a node (mode 0 persistent, 1 ephemeral, 2 persistent sequential, 3 ephemeral sequential). */
  create(path: string, data?: Buffer, mode = 0): Promise<string> {
    return this.bounded(this.opTimeoutMs, `create ${path}`, (cb) => this.raw.create(path, data, mode, cb));
  }

  /** Creates a node and any missing parents. */
  mkdirp(path: string): Promise<string> {
    return this.bounded(this.opTimeoutMs, `mkdirp ${path}`, (cb) => this.raw.mkdirp(path, cb));
  }

  /** Deletes a node (any version). */
  remove(path: string): Promise<void> {
    return this.bounded(this.opTimeoutMs, `remove ${path}`, (cb) => this.raw.remove(path, -1, (e) => cb(e, undefined)));
  }

  /** Reads a node's data. */
  getData(path: string): Promise<Buffer | undefined> {
    return this.bounded(this.opTimeoutMs, `getData ${path}`, (cb) => this.raw.getData(path, cb));
  }

  /** Lists a node's children (unsorted, as the server returns them). */
  getChildren(path: string): Promise<string[]> {
    return this.bounded(this.opTimeoutMs, `getChildren ${path}`, (cb) => this.raw.getChildren(path, cb));
  }

  /** Writes a node's data (any version). */
  setData(path: string, data: Buffer): Promise<void> {
    return this.bounded(this.opTimeoutMs, `setData ${path}`, (cb) => this.raw.setData(path, data, -1, (e) => cb(e, undefined)));
  }

  /** Sets a node's ACL (any version); perms are ZooKeeper's bits: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16. */
  setAcl(path: string, entries: Array<{ perms: number; scheme: string; id: string }>): Promise<void> {
    const acls = entries.map((e) => new zk.ACL(e.perms, new zk.Id(e.scheme, e.id)));
    return this.bounded(this.opTimeoutMs, `setACL ${path}`, (cb) => this.raw.setACL(path, acls, -1, (e) => cb(e, undefined)));
  }

  /** Authenticates this client's session (e.g. `digest`, `user:password`); applies to later requests. */
  addAuth(scheme: string, credentials: string): void {
    this.raw.addAuthInfo(scheme, Buffer.from(credentials));
  }

  /** Whether a node exists. */
  async exists(path: string): Promise<boolean> {
    const stat = await this.bounded(this.opTimeoutMs, `exists ${path}`, (cb) => this.raw.exists(path, cb));
    return !!stat;
  }

  /** Closes the session and the socket. */
  close(): void {
    this.raw.close();
  }

  private bounded<T>(ms: number, what: string, start: (cb: (err: ZkError | null, v: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: no reply within ${ms} ms`)), ms);
      start((err, v) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(v);
      });
    });
  }
}

/** Connects a bare client (connect bounded by 10 s); close it when done. */
export async function connectBare(
  connectString: string,
  opts: { opTimeoutMs?: number; sessionTimeout?: number; connectTimeoutMs?: number } = {},
): Promise<BareClient> {
  const c = new BareClient(connectString, opts.opTimeoutMs ?? 10_000, opts.sessionTimeout ?? 10_000);
  try {
    await c.connect(opts.connectTimeoutMs ?? 10_000);
  } catch (err) {
    c.close();
    throw err;
  }
  return c;
}

/** Runs fn with a short-lived bare client, closing it afterwards. */
export async function withBareClient<T>(connectString: string, fn: (c: BareClient) => Promise<T>): Promise<T> {
  const c = await connectBare(connectString);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
