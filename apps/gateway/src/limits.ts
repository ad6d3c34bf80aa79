/** Every limit the gateway enforces per connection and per user. Defaults suit a public deployment. */
export interface GatewayLimits {
  /** Largest WebSocket message accepted; bigger closes the connection with 1009 (ws `maxPayload`). */
  maxFrameBytes: number;
  /** Largest sealed envelope in a `message.send` (JSON bytes); bigger gets MSG_ENVELOPE_TOO_LARGE. */
  maxEnvelopeBytes: number;
  /** Token bucket per connection: sustained frames per second … */
  framesPerSecond: number;
  /** … and how many may come at once. */
  frameBurst: number;
  /** Frames refused for the rate limit within `abuseWindowMs` before the connection is closed (4008). */
  maxRateLimitedFrames: number;
  abuseWindowMs: number;
  /** Connections of one user on this gateway instance; one more is closed with 4029. */
  maxConnectionsPerUser: number;
  /** How long a connection without an Authorization header may take to send its `auth` frame. */
  authTimeoutMs: number;
  /** The server pings this often; clients send a `ping` frame this often. */
  heartbeatIntervalMs: number;
  /** Nothing heard from a client (pong, frame) for this long: the connection is terminated. */
  heartbeatTimeoutMs: number;
  /** Bytes queued for a socket beyond which it is closed with 4002 (slow consumer). */
  maxSendBufferBytes: number;
  /** Live messages held per connection while it drains; beyond, they are dropped and the drain runs once more. */
  maxBufferedLiveFrames: number;
  /** Messages per page of the offline drain. */
  drainPageSize: number;
  /** A `typing: start` per connection and conversation is forwarded at most this often. */
  typingThrottleMs: number;
  /** Typing indicators expire in the broker after this long. */
  typingTtlMs: number;
}

export const defaultLimits: GatewayLimits = {
  maxFrameBytes: 96 * 1024,
  maxEnvelopeBytes: 64 * 1024,
  framesPerSecond: 30,
  frameBurst: 60,
  maxRateLimitedFrames: 120,
  abuseWindowMs: 10_000,
  maxConnectionsPerUser: 10,
  authTimeoutMs: 10_000,
  heartbeatIntervalMs: 25_000,
  heartbeatTimeoutMs: 60_000,
  maxSendBufferBytes: 4 * 1024 * 1024,
  maxBufferedLiveFrames: 2_000,
  drainPageSize: 200,
  typingThrottleMs: 2_000,
  typingTtlMs: 5_000,
};
