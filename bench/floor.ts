/**
 * The floor: the bare node-zookeeper-client 1.1.3 (retries 0, its own session), promise-wrapped
 * with nothing else (no timers, no bookkeeping), doing the round trips a lock needs.
 */
import { createRequire } from 'node:module';
import { loop, loopResult, type LoopResult } from './stats.js';

interface ZkErr extends Error {
  getCode?(): number;
}
type Cb<T> = (err: ZkErr | null, v: T) => void;
interface RawClient {
  connect(): void;
  close(): void;
  once(event: string, cb: () => void): void;
  on(event: string, cb: (...a: unknown[]) => void): void;
  create(path: string, data: Buffer | undefined, mode: number, cb: Cb<string>): void;
  remove(path: string, version: number, cb: (err: ZkErr | null) => void): void;
  getChildren(path: string, cb: Cb<string[]>): void;
  getChildren(path: string, watcher: (event: unknown) => void, cb: Cb<string[]>): void;
  mkdirp(path: string, cb: Cb<string>): void;
}
interface ZkModule {
  createClient(hosts: string, o: { sessionTimeout: number; spinDelay: number; retries: number }): RawClient;
}

const zk = createRequire(import.meta.url)('node-zookeeper-client') as ZkModule;
const EPHEMERAL = 1;
const EPHEMERAL_SEQUENTIAL = 3;
const NO_NODE = -101;

/** The bare client's session and the two floor loops. */
export class Floor {
  private readonly c: RawClient;

  private constructor(c: RawClient, readonly parent: string) {
    this.c = c;
  }

  /** Connects a bare client (retries 0) and creates the parent the loops work under. */
  static async open(hosts: string, parent: string): Promise<Floor> {
    const c = zk.createClient(hosts, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        c.close();
        reject(new Error(`bare client: no connection to ${hosts} in 10 s`));
      }, 10_000);
      c.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      c.connect();
    });
    const f = new Floor(c, parent);
    await f.call<string>((cb) => c.mkdirp(parent, cb));
    return f;
  }

  /** (a) create ephemeral-sequential, then getChildren, then delete: three sequential round trips per op. */
  async createListDelete(ops: number): Promise<LoopResult> {
    const prefix = `${this.parent}/lock-`;
    return loopResult(
      await loop(ops, async () => {
        const p = await this.call<string>((cb) => this.c.create(prefix, undefined, EPHEMERAL_SEQUENTIAL, cb));
        await this.call<string[]>((cb) => this.c.getChildren(this.parent, cb));
        await this.call<void>((cb) => this.c.remove(p, -1, (e) => cb(e, undefined)));
      }),
    );
  }

  /** (b) create an ephemeral node, then delete it: two sequential round trips per op. */
  async createDelete(ops: number): Promise<LoopResult> {
    const path = `${this.parent}/node`;
    return loopResult(
      await loop(ops, async () => {
        await this.call<string>((cb) => this.c.create(path, undefined, EPHEMERAL, cb));
        await this.call<void>((cb) => this.c.remove(path, -1, (e) => cb(e, undefined)));
      }),
    );
  }

  /**
   * (c) the requests an uncontended lock+unlock sends, bare: create ephemeral-sequential and
   * getChildren (leaving a child watch, the holder's guard) pipelined, then delete. Separates the
   * protocol's cost from zoosync's own code.
   */
  async recipeRequests(ops: number): Promise<LoopResult> {
    const prefix = `${this.parent}/lock-`;
    const ignore = (): void => undefined;
    return loopResult(
      await loop(ops, async () => {
        const created = this.call<string>((cb) => this.c.create(prefix, undefined, EPHEMERAL_SEQUENTIAL, cb));
        const listed = this.call<string[]>((cb) => this.c.getChildren(this.parent, ignore, cb));
        const p = await created;
        await listed;
        await this.call<void>((cb) => this.c.remove(p, -1, (e) => cb(e, undefined)));
      }),
    );
  }

  /** Deletes the parent (and any leftover child) and closes the session. */
  async close(): Promise<void> {
    try {
      const kids = await this.call<string[]>((cb) => this.c.getChildren(this.parent, cb));
      await Promise.all(kids.map((k) => this.remove(`${this.parent}/${k}`)));
      await this.remove(this.parent);
    } finally {
      this.c.close();
    }
  }

  private async remove(path: string): Promise<void> {
    await this.call<void>((cb) => this.c.remove(path, -1, (e) => cb(e, undefined))).catch((e: ZkErr) => {
      if (e.getCode?.() !== NO_NODE) throw e;
    });
  }

  private call<T>(start: (cb: Cb<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => start((err, v) => (err ? reject(err) : resolve(v))));
  }
}
