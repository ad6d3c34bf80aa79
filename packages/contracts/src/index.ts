export * from './catalog.js';
export * from './common.js';
export * from './e2ee.js';
export * from './errors.js';
export * from './message.js';
export * from './messaging-http.js';
export * from './topology.js';
export * from './ws.js';
