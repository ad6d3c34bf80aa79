import { describe } from 'vitest';
import { startStandaloneSystem } from '../src/system.js';
import { messagingScenarios } from './scenarios.js';

describe('messaging, standalone: one process, in-process broker', () => {
  messagingScenarios(() => startStandaloneSystem('msg'));
});
