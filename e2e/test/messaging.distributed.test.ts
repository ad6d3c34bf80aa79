import { describe } from 'vitest';
import { startDistributed } from '../src/system.js';
import { messagingScenarios } from './scenarios.js';

describe('messaging, distributed: services as processes over PostgreSQL and RabbitMQ, two gateways', () => {
  messagingScenarios(() => startDistributed('msg'));
});
