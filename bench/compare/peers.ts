/**
 * Which peers this machine can run: zoosync and the bare client always; Curator when Debian's
 * Curator jars and javac are present (compiled now into a temp dir); kazoo when python3 imports it.
 * An absent peer is skipped with one line saying how to install it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerSpec } from './peer.js';

const JARS = '/usr/share/java';
const CURATOR_JARS = ['curator-recipes', 'curator-framework', 'curator-client', 'zookeeper', 'zookeeper-jute', 'guava', 'slf4j-api', 'slf4j-nop'];
const PYTHON = '/usr/bin/python3';
/** bench/peers in the source tree (the Java and Python files are not compiled by tsc). */
const SOURCE_PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/peers');
const BUILT_PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../peers');
const ALL_CASES = ['locks', 'handoff', 'failover', 'queue', 'drain', 'hold', 'probe', 'release'];

const ok = (file: string, args: string[]): boolean => {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
};

/** The peers to run (in column order), the skip lines, and a cleanup for the compiled Curator classes. */
export function discoverPeers(log: (s: string) => void, skip: (s: string) => void, wanted: ReadonlySet<string>, profileDir?: string): { peers: PeerSpec[]; cleanup: () => void } {
  const peers: PeerSpec[] = [];
  let classes: string | undefined;
  if (wanted.has('zoosync')) {
    peers.push({ key: 'zoosync', label: 'zoosync', command: process.execPath, args: ['--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(BUILT_PEERS, 'zoosync-peer.js')], cases: new Set(ALL_CASES), concurrency: 'async, one loop per lock', holdThreads: 64 });
  }
  if (wanted.has('curator')) {
    const jars = CURATOR_JARS.map((j) => path.join(JARS, `${j}.jar`));
    const missing = jars.filter((j) => !fs.existsSync(j));
    if (missing.length || !ok('javac', ['-version'])) {
      skip(`curator: skipped (${missing.length ? `missing ${missing.map((m) => path.basename(m)).join(', ')}` : 'no javac'}; install with: apt-get install -y libcurator-recipes-java openjdk-17-jdk-headless)`);
    } else {
      classes = fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-bench-curator-'));
      const cp = jars.join(':');
      log('curator: compiling bench/peers/CuratorPeer.java');
      execFileSync('javac', ['-nowarn', '-cp', cp, '-d', classes, path.join(SOURCE_PEERS, 'CuratorPeer.java')], { stdio: ['ignore', 'ignore', 'inherit'] });
      peers.push({ key: 'curator', label: 'Curator 5.4', command: 'java', args: ['-cp', `${cp}:${classes}`, 'CuratorPeer'], cases: new Set(ALL_CASES), concurrency: 'one thread per lock', holdThreads: 64 });
    }
  }
  if (wanted.has('kazoo')) {
    if (!ok(PYTHON, ['-c', 'import kazoo.client'])) skip('kazoo: skipped (install with: apt-get install -y python3-kazoo)');
    else peers.push({ key: 'kazoo', label: 'kazoo 2.8', command: PYTHON, args: [path.join(SOURCE_PEERS, 'kazoo_peer.py')], cases: new Set(ALL_CASES), concurrency: 'one thread per lock', holdThreads: 64 });
  }
  if (wanted.has('bare')) {
    peers.push({ key: 'bare', label: 'bare client', command: process.execPath, args: [path.join(BUILT_PEERS, 'bare-peer.js')], cases: new Set(['locks']), concurrency: 'async, one loop per lock', holdThreads: 0 });
  }
  return { peers, cleanup: () => classes && fs.rmSync(classes, { recursive: true, force: true }) };
}
