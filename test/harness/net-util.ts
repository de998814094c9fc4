export * from '../../src/testing/net-util.js';
