export * from './catalog.js';
export * from './common.js';
export * from './e2ee.js';
export * from './errors.js';
export * from './topology.js';
