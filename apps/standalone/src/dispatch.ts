import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** Which app serves a path: the first route whose prefix matches. */
export interface Route {
  prefix: string;
  app: FastifyInstance;
}

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

export function pick(
  routes: readonly Route[],
  fallback: FastifyInstance,
  url: string | undefined,
): FastifyInstance {
  const path = pathOf(url);
  for (const route of routes) {
    if (
      path === route.prefix ||
      path.startsWith(route.prefix.endsWith('/') ? route.prefix : `${route.prefix}/`)
    ) {
      return route.app;
    }
    if (route.prefix.endsWith('/') && path === route.prefix.slice(0, -1)) return route.app;
  }
  return fallback;
}

/**
 * One port for several Fastify apps: each request goes to the app that owns its
 * path through Fastify's own router (`app.routing`), so every app keeps its
 * hooks, validation, error handling and limits. WebSocket upgrades are handed
 * to the owning app's server, where @fastify/websocket listens for them.
 */
export function createDispatcher(routes: readonly Route[], fallback: FastifyInstance) {
  return {
    request(req: IncomingMessage, res: ServerResponse) {
      pick(routes, fallback, req.url).routing(req, res);
    },
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const app = pick(routes, fallback, req.url);
      if (app.server.listenerCount('upgrade') === 0) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      app.server.emit('upgrade', req, socket, head);
    },
  };
}
