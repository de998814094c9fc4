export * from '../../src/testing/proxy.js';
