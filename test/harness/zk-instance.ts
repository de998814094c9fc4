export * from '../../src/testing/zk-instance.js';
