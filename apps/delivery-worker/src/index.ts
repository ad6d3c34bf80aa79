export { createHttpDirectory, type HttpDirectoryOptions, type MemberDirectory } from './directory.js';
export { MembersCache, type MembersCacheOptions } from './members-cache.js';
export { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from './worker.js';
