export * from '../../src/testing/registry.js';
