/**
 * The bare-client peer of `npm run bench`: node-zookeeper-client 1.1.3 alone (retries 0), doing the
 * round trips of a lock+unlock with nothing else: create ephemeral-sequential, getChildren, delete.
 * Serves the `locks` command of serve.ts. Usage: node bare-peer.js <hosts> <root>
 */
import { createRequire } from 'node:module';
import { serve, windowLoops } from './serve.js';

type Cb<T> = (err: (Error & { getCode?(): number }) | null, v: T) => void;
interface RawClient {
  connect(): void;
  close(): void;
  once(event: string, cb: () => void): void;
  create(path: string, data: Buffer | undefined, mode: number, cb: Cb<string>): void;
  remove(path: string, version: number, cb: (err: Error | null) => void): void;
  getChildren(path: string, cb: Cb<string[]>): void;
  mkdirp(path: string, cb: Cb<string>): void;
}
const zk = createRequire(import.meta.url)('node-zookeeper-client') as {
  createClient(hosts: string, o: { sessionTimeout: number; spinDelay: number; retries: number }): RawClient;
};
const EPHEMERAL_SEQUENTIAL = 3;

const [hosts, root] = process.argv.slice(2) as [string, string];
const c = zk.createClient(hosts, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
const call = <T>(start: (cb: Cb<T>) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => start((err, v) => (err ? reject(err) : resolve(v))));

await new Promise<void>((resolve) => {
  c.once('connected', resolve);
  c.connect();
});
const made = new Set<string>();
await serve(
  {
    hello: () => Promise.resolve({ version: 'node-zookeeper-client 1.1.3' }),
    locks: async (cmd) => {
      const parents = Array.from({ length: Number(cmd.n) }, (_, k) => `${root}/${String(cmd.tag)}-${k}`);
      for (const p of parents) if (!made.has(p)) await call<string>((cb) => c.mkdirp(p, cb)).then(() => made.add(p));
      return windowLoops(parents.length, Number(cmd.ms), async (k) => {
        const p = await call<string>((cb) => c.create(`${parents[k]}/lock-`, undefined, EPHEMERAL_SEQUENTIAL, cb));
        await call<string[]>((cb) => c.getChildren(parents[k]!, cb));
        await call<void>((cb) => c.remove(p, -1, (e) => cb(e, undefined)));
      });
    },
  },
  () => Promise.resolve(c.close()),
);
process.exit(0);
