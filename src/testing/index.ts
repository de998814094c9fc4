/**
 * `zoosync/testing`: the harness zoosync tests itself with, for chaos-testing your own critical
 * sections against real ZooKeeper servers on loopback. Servers and ensembles (Curator's
 * `TestingServer` / `TestingCluster`) that can be killed, paused and restarted; a fault proxy
 * that cuts, silences (either way) or delays one client's connection; a root of its own per test
 * with a leak check (kazoo's `KazooTestHarness`); and a fenced store whose history
 * `checkHistory()` checks for two holders at once and stale writes. Test-runner neutral:
 * works with node:test, vitest and jest. Never imported by `zoosync` itself.
 */

// Servers: standalone and ensembles from the local ZooKeeper install (Debian's package or ZOOKEEPER_HOME).
export { startStandalone, startEnsemble, ZkEnsemble, type ZkStartOptions } from './zk-server.js';
export { ZkServer, type ZkMode } from './zk-instance.js';
export type { ZkTlsOptions } from './zk-tls.js';
export { ensureZooKeeper, externalHosts, zkServerAvailable } from './zk-install.js';
export { harnessResources, stopAll } from './registry.js';
export { sharedServer } from './fixtures.js';

// Faults on one client's connection.
export {
  TcpProxy as FaultProxy,
  ProxyGroup as FaultProxyGroup,
  startProxy as startFaultProxy,
  startProxies as startFaultProxies,
  type SilenceDirection,
} from './proxy.js';

// A root per test, tree helpers and polling.
export { testRoot, isEmptyLockParent, type AssertEmptyOptions, type TestRoot, type TestRootOptions } from './test-root.js';
export { assertNoNodesLeft, deleteTree, listTree, uniqueId, waitFor, within, type WaitForOptions } from './fixtures.js';
export { BareClient, connectBare, withBareClient, zkCode, ZkCode } from './zk-client.js';
export { fourLetter, freePorts, type HostPort } from './net-util.js';

// The fenced store and its history checker.
export { FencedStore, type WriteRequest } from './fenced-store.js';
export {
  History,
  now,
  type ErrorInfo,
  type Fault,
  type FaultKind,
  type HistoryEvent,
  type StoreWrite,
  type WorkerEvent,
  type WorkerExit,
} from './history.js';
export { recordHold, type HeldLike, type HoldRecord } from './hold.js';
export { checkHistory, type CheckHistoryOptions, type HistoryCheck } from './check-history.js';
export type { Violation } from './checker.js';
export type { Belief } from './intervals.js';

// TLS: a throwaway PKI (openssl) for servers started with `tls`.
export { generateTestPki, makeTestPki, type PemFiles, type ServerCertFiles, type ServerCertVariant, type TestPki } from './tls.js';
