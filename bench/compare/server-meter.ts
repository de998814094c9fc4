/**
 * What one operation costs the ZooKeeper server: its process CPU (from /proc) and its `mntr`
 * counters (packets sent and received, watch notifications fired, watches registered).
 */
import { fourLetter, type ZkServer } from '../../test/harness/index.js';
import { procCpuMs } from '../machine.js';

/** The server's counters at one moment. */
export interface ServerSnapshot {
  cpuMs: number;
  packetsSent: number;
  packetsReceived: number;
  /** Watches triggered so far: the sums of mntr's node_{created,deleted,changed,children}_watch_count. */
  notifications: number;
  /** Watches registered now (mntr's zk_watch_count). */
  watches: number;
  znodes: number;
}

/** Parses `mntr` output into name → number. */
export function parseMntr(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && Number.isFinite(Number(v))) m.set(k.trim(), Number(v));
  }
  return m;
}

const FIRED = ['created', 'deleted', 'changed', 'children'].map((e) => `zk_sum_node_${e}_watch_count`);

/** Reads the server's CPU and mntr counters. */
export async function snapshot(server: ZkServer): Promise<ServerSnapshot> {
  const m = parseMntr(await fourLetter(server.host, server.port, 'mntr', 5000));
  const get = (k: string): number => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`mntr has no ${k} (is the mntr four-letter word whitelisted?)`);
    return v;
  };
  return {
    cpuMs: procCpuMs(server.pid!) ?? Number.NaN,
    packetsSent: get('zk_packets_sent'),
    packetsReceived: get('zk_packets_received'),
    notifications: FIRED.reduce((a, k) => a + get(k), 0),
    watches: get('zk_watch_count'),
    znodes: get('zk_znode_count'),
  };
}

/** Per-op server costs between two snapshots over `ops` operations. */
export function perOp(a: ServerSnapshot, b: ServerSnapshot, ops: number): { serverCpuUs: number; sent: number; received: number; notifications: number } {
  return {
    serverCpuUs: ((b.cpuMs - a.cpuMs) * 1000) / ops,
    sent: (b.packetsSent - a.packetsSent) / ops,
    received: (b.packetsReceived - a.packetsReceived) / ops,
    notifications: (b.notifications - a.notifications) / ops,
  };
}
