export * from '../../src/testing/tls-probe.js';
