export * from '../../src/testing/zk-server.js';
