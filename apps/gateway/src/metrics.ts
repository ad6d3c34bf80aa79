import { Counter, Gauge, type Registry } from 'prom-client';

export interface GatewayMetrics {
  readonly connections: Gauge;
  readonly framesIn: Counter<'type'>;
  readonly framesOut: Counter<'type'>;
  readonly closes: Counter<'code'>;
  readonly slowConsumerCloses: Counter;
  readonly rateLimitedFrames: Counter;
  readonly drainedMessages: Counter;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    connections: new Gauge({
      name: 'gateway_connections',
      help: 'Open WebSocket connections (authenticated or not)',
      registers,
    }),
    framesIn: new Counter({
      name: 'gateway_frames_in_total',
      help: 'Frames received, by client frame type (invalid: refused as malformed)',
      labelNames: ['type'] as const,
      registers,
    }),
    framesOut: new Counter({
      name: 'gateway_frames_out_total',
      help: 'Frames sent, by server frame type',
      labelNames: ['type'] as const,
      registers,
    }),
    closes: new Counter({
      name: 'gateway_connection_closes_total',
      help: 'Connections closed, by WebSocket close code',
      labelNames: ['code'] as const,
      registers,
    }),
    slowConsumerCloses: new Counter({
      name: 'gateway_slow_consumer_closes_total',
      help: 'Connections closed because their send buffer overflowed (4002)',
      registers,
    }),
    rateLimitedFrames: new Counter({
      name: 'gateway_rate_limited_frames_total',
      help: 'Frames refused by the per-connection rate limit',
      registers,
    }),
    drainedMessages: new Counter({
      name: 'gateway_drained_messages_total',
      help: 'Messages sent from the offline drain',
      registers,
    }),
  };
}
