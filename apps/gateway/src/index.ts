export { build, type GatewayOptions, WS_PATH } from './app.js';
export { parseClientFrame } from './frames.js';
export { defaultLimits, type GatewayLimits } from './limits.js';
export {
  createHttpMessageServiceClient,
  type HttpMessageServiceClientOptions,
  type MessageServiceClient,
  type PendingPage,
  type PendingRequest,
} from './message-service-client.js';
