/** How a harness ZooKeeper JVM is configured and launched: zoo.cfg, JVM flags, data dir, watchdog. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerDir, registerPid, unregisterPid } from './registry.js';

/** ZooKeeper's server entry point (standalone or quorum, depending on zoo.cfg). */
export const MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';
/**
 * Cheap-to-start JVM flags (2-core machines) with the admin server off and every four-letter word
 * on; empty container nodes are removed every 500 ms instead of every minute (containers.test.ts).
 */
export const JVM_FLAGS = [
  '-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-XX:-UsePerfData',
  '-Dzookeeper.admin.enableServer=false', '-Dzookeeper.4lw.commands.whitelist=*',
  '-Dznode.container.checkIntervalMs=500',
  '-Dzookeeper.electionPortBindRetry=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
  '-Dorg.slf4j.simpleLogger.showDateTime=true', '-Djava.net.preferIPv4Stack=true',
];

/** The JVM flags to start a server with: `fullJit` drops the quick-start C1-only limit (benchmarks want it). */
export function jvmFlags(fullJit = false): string[] {
  return fullJit ? JVM_FLAGS.filter((f) => f !== '-XX:TieredStopAtLevel=1') : [...JVM_FLAGS];
}

/** One ensemble member's quorum ports. */
export interface Peer {
  id: number;
  peerPort: number;
  electionPort: number;
}

/** The zoo.cfg text for one test server (`extra`: more lines, e.g. TLS settings). */
export function zooCfg(
  dataDir: string,
  clientPort: number,
  forceSync: boolean,
  peers: Peer[],
  extra: readonly string[] = [],
): string {
  const lines = [
    'tickTime=100', 'minSessionTimeout=200', 'maxSessionTimeout=60000', 'initLimit=50', 'syncLimit=20',
    `forceSync=${forceSync ? 'yes' : 'no'}`, 'preAllocSize=4096', 'snapCount=100000', `dataDir=${dataDir}`,
    'clientPortAddress=127.0.0.1', `clientPort=${clientPort}`, 'maxClientCnxns=0',
    '4lw.commands.whitelist=*', 'admin.enableServer=false',
    ...peers.map((p) => `server.${p.id}=127.0.0.1:${p.peerPort}:${p.electionPort}`),
    ...extra,
  ];
  return lines.join('\n') + '\n';
}

/** A tiny shell that SIGKILLs the JVM and removes its data dir when our pipe closes, even if Node is SIGKILLed. */
export function startWatchdog(pid: number, dataDir: string): ChildProcess | undefined {
  const script = 'read _ ; kill -9 "$1" ; kill -CONT "$1" ; sleep 0.2 ; rm -rf "$2"';
  try {
    const w = spawn('/bin/sh', ['-c', script, 'zoosync-watchdog', String(pid), dataDir], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    w.on('error', () => {});
    if (w.pid === undefined) return undefined;
    const wpid = w.pid;
    registerPid(wpid);
    w.once('exit', () => unregisterPid(wpid));
    w.unref();
    (w.stdin as unknown as Socket | null)?.unref?.();
    return w;
  } catch {
    return undefined;
  }
}

/** Creates a registered os.tmpdir()/zoosync-test-* data dir with zoo.cfg (+ extraCfg lines, myid for ensembles). */
export function prepareDataDir(
  clientPort: number,
  forceSync: boolean,
  peers: Peer[],
  id?: number,
  extraCfg: readonly string[] = [],
): { dataDir: string; cfgPath: string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-test-'));
  registerDir(dataDir);
  if (id !== undefined) fs.writeFileSync(path.join(dataDir, 'myid'), `${id}\n`);
  const cfgPath = path.join(dataDir, 'zoo.cfg');
  fs.writeFileSync(cfgPath, zooCfg(dataDir, clientPort, forceSync, peers, extraCfg));
  return { dataDir, cfgPath };
}
