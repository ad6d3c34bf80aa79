/**
 * Test fixtures of the gateway, for its own tests and for packages that test
 * against a real gateway (`@im/gateway/testing`):
 *
 * - `createTestAuth()`: signs access tokens like the auth service and verifies
 *   them with the real verifier (use `newUser()` for ids).
 * - `testBrokers(prefix)`: RabbitMQ connections in a namespace of their own;
 *   `closeAll()` in `afterAll` deletes what they declared.
 * - `startTestGateway({ brokers, auth, … })`: a real gateway on a random port.
 * - `TestSocket`: a raw protocol client that records frames and the close.
 * - `nothingPending` / `ScriptedPending`: the pending endpoint for tests about
 *   the gateway alone; tests of the whole path use the real message service.
 * - `opaqueEnvelope()`, `storedMessage()`, `sealedEnvelope()`: messages.
 * - `recordQueue(broker, Queues.x)`: what was published to a queue.
 */
export * from './auth.js';
export * from './broker.js';
export * from './envelopes.js';
export * from './gateway.js';
export * from './pending.js';
export * from './socket.js';
