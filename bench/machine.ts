/** What the benchmark ran on (CPU, Node, ZooKeeper version and forceSync) and CPU-time meters for client and server. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fourLetter, parseHostPort, type ZkServer } from '../test/harness/index.js';

/** The machine and server the figures come from. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  loadAvg: number[];
  zookeeper: string;
  forceSync: string;
  server: string;
}

/** Collects the machine facts; the server's version from `srvr`, forceSync from its zoo.cfg (or `conf`). */
export async function machineInfo(hosts: string, server: ZkServer | undefined): Promise<MachineInfo> {
  const first = hosts.split('/')[0]!.split(',')[0]!.trim();
  const { host, port } = parseHostPort(first);
  const srvr = await fourLetter(host, port, 'srvr', 2000).catch((e: Error) => `unavailable: ${e.message}`);
  const version = /Zookeeper version: ([^,\n]+)/.exec(srvr)?.[1]?.trim() ?? srvr.split('\n')[0]!;
  let forceSync = 'unknown';
  if (server) {
    const cfg = fs.readFileSync(path.join(server.dataDir, 'zoo.cfg'), 'utf8');
    forceSync = /^forceSync=(\S+)/m.exec(cfg)?.[1] ?? 'yes (default)';
  } else {
    const conf = await fourLetter(host, port, 'conf', 2000).catch(() => '');
    forceSync = /forceSync=(\S+)/i.exec(conf)?.[1] ?? 'unknown (external server; ZooKeeper default is yes)';
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    zookeeper: version,
    forceSync,
    server: server ? `harness standalone ${server.connectString}` : `external ${hosts}`,
  };
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU ms (user + system) a process has used so far, from /proc; undefined when unreadable. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** CPU time used over an interval by this process and (if known) the ZooKeeper server. */
export interface CpuUse {
  clientMs: number;
  serverMs: number | undefined;
}

/** Starts a CPU meter; the returned function reads the use since the start. */
export function cpuMeter(serverPid: number | undefined): () => CpuUse {
  const c0 = process.cpuUsage();
  const s0 = serverPid === undefined ? undefined : procCpuMs(serverPid);
  return () => {
    const c = process.cpuUsage(c0);
    const s1 = serverPid === undefined ? undefined : procCpuMs(serverPid);
    return { clientMs: (c.user + c.system) / 1000, serverMs: s0 === undefined || s1 === undefined ? undefined : s1 - s0 };
  };
}
