export * from '../../src/testing/zk-client.js';
