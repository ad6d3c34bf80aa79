export type { ZodTypeProvider } from 'fastify-type-provider-zod';
export { createServiceApp, type ServiceAppOptions } from './app.js';
export { installErrorHandling, toAppError } from './errors.js';
export { type HealthState, installHealth, type ReadinessCheck } from './health.js';
export { Lifecycle, type RunMainOptions, runMain } from './lifecycle.js';
export { createMetricsRegistry, installHttpMetrics } from './metrics.js';
