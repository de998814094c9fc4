/**
 * Runs a Curator 5 participant (Debian's libcurator-*-java) beside zoosync: compiles
 * `CuratorPeer.java` once per process and drives it over stdin. `curatorJars()` is undefined when
 * the jars are not installed (`apt-get install libcurator-recipes-java`).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const JARS = ['curator-client', 'curator-framework', 'curator-recipes', 'zookeeper', 'zookeeper-jute', 'guava', 'slf4j-api', 'slf4j-nop'];
const SOURCE = fileURLToPath(new URL('../../../../test/integration/peers/CuratorPeer.java', import.meta.url));

/** The classpath of Curator and its dependencies, or undefined if any jar is missing. */
export function curatorJars(dir = '/usr/share/java'): string | undefined {
  const paths = JARS.map((j) => join(dir, `${j}.jar`));
  return paths.every((p) => existsSync(p)) ? paths.join(':') : undefined;
}

let compiled: { dir: string; classpath: string } | undefined;

function compile(): { dir: string; classpath: string } {
  if (compiled) return compiled;
  const jars = curatorJars();
  if (!jars) throw new Error('Curator jars not found in /usr/share/java: apt-get install libcurator-recipes-java');
  const dir = mkdtempSync(join(tmpdir(), 'zoosync-curator-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync('javac', ['-d', dir, '-cp', jars, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed: ${r.stderr}`);
  compiled = { dir, classpath: `${dir}:${jars}` };
  return compiled;
}

/** One Curator client process. */
export interface CuratorPeer {
  /** Starts an acquire; resolves 'held' or 'timeout' (rejects on an error). */
  acquire(id: string, kind: 'mutex' | 'read' | 'write' | 'semaphore', path: string, waitMs: number, permits?: number): Promise<'held' | 'timeout'>;
  /** Releases what `id` holds. */
  release(id: string): Promise<void>;
  /** Releases everything and ends the process. */
  close(): Promise<void>;
}

/** Starts a Curator client on `connectString` (a chroot suffix is honoured by ZooKeeper's Java client). */
export async function startCurator(connectString: string): Promise<CuratorPeer> {
  const { classpath } = compile();
  const child: ChildProcessWithoutNullStreams = spawn('java', ['-cp', classpath, 'CuratorPeer', connectString], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const waiters = new Map<string, (line: string) => void>();
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`Curator peer exited ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') return readyResolve();
    const [, id] = line.split(' ');
    waiters.get(id!)?.(line);
  });
  const answer = (id: string): Promise<string> =>
    Promise.race([new Promise<string>((resolve) => waiters.set(id, (line) => (waiters.delete(id), resolve(line)))), exited]);
  await Promise.race([ready, exited]);
  return {
    async acquire(id, kind, path, waitMs, permits) {
      const got = answer(id);
      child.stdin.write(`acq ${id} ${kind} ${path} ${waitMs}${permits === undefined ? '' : ` ${permits}`}\n`);
      const line = await got;
      if (line.startsWith('held ')) return 'held';
      if (line.startsWith('timeout ')) return 'timeout';
      throw new Error(`Curator: ${line}`);
    },
    async release(id) {
      const got = answer(id);
      child.stdin.write(`rel ${id}\n`);
      const line = await got;
      if (!line.startsWith('released ')) throw new Error(`Curator: ${line}`);
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.write('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
