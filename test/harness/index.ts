/** The zoosync test harness: real ZooKeeper servers, fault-injecting proxies and per-test fixtures. */
export * from './zk-server.js';
export * from './proxy.js';
export * from './fixtures.js';
export * from './zk-client.js';
export { fourLetter, freePorts, parseHostPort, sleep, type HostPort } from './net-util.js';
export { harnessResources } from './registry.js';
export * from './tls.js';
export * from './tls-probe.js';
