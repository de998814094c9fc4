export * from '../../src/testing/zk-install.js';
