export * from './broker.js';
export * from './process.js';
export * from './tcp-proxy.js';
