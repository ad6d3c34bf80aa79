export * from './broker.js';
export * from './chromium.js';
export * from './database.js';
export * from './empty-database.js';
export * from './process.js';
export * from './tcp-proxy.js';
