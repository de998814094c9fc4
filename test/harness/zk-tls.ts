export * from '../../src/testing/zk-tls.js';
