export * from '../../src/testing/intervals.js';
