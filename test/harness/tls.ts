export * from '../../src/testing/tls.js';
