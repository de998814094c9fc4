export * from '../../src/testing/history.js';
