/** The zoo.cfg lines that make a harness server also serve TLS on secureClientPort. */
import type { ServerCertVariant, TestPki } from './tls.js';

/** TLS for a harness server's client port: which PKI and certificate, and whether client certs are required. */
export interface ZkTlsOptions {
  /** The PKI from makeTestPki(). */
  pki: TestPki;
  /** The certificate the server presents (default 'good'). */
  serverCert?: ServerCertVariant;
  /** ZooKeeper's ssl.clientAuth: 'need' demands a client certificate signed by the CA (default 'none'). */
  clientAuth?: 'need' | 'want' | 'none';
}

/**
 * zoo.cfg keys for TLS on securePort (loopback only). ZooKeeper turns the unknown `ssl.*` and
 * `serverCnxnFactory` keys into `zookeeper.*` system properties; TLS needs the Netty connection factory,
 * which then also serves the plain clientPort. Quorum traffic stays plain.
 */
export function tlsCfgLines(tls: ZkTlsOptions, securePort: number): string[] {
  const { pki } = tls;
  const cert = pki.servers[tls.serverCert ?? 'good'];
  return [
    'secureClientPortAddress=127.0.0.1',
    `secureClientPort=${securePort}`,
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    `ssl.keyStore.location=${cert.keyStore}`,
    `ssl.keyStore.password=${pki.keyStorePassword}`,
    `ssl.keyStore.type=${pki.keyStoreType}`,
    `ssl.trustStore.location=${pki.trustStore}`,
    `ssl.trustStore.type=${pki.trustStoreType}`,
    `ssl.clientAuth=${tls.clientAuth ?? 'none'}`,
  ];
}
