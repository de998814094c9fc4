export * from '../../src/testing/checker.js';
