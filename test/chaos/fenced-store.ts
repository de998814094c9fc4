export * from '../../src/testing/fenced-store.js';
