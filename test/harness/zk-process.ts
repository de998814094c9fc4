export * from '../../src/testing/zk-process.js';
