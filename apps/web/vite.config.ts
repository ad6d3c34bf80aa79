import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * `vite` (dev) proxies the APIs and the WebSocket to a running standalone
 * server (`pnpm start`, default http://127.0.0.1:8080; override with
 * IM_API_URL), so the page and the APIs share one origin as in production.
 */
const api = process.env.IM_API_URL ?? 'http://127.0.0.1:8080';

/**
 * The production page only runs its own script and talks only to its own
 * origin (HTTP and WebSocket): a content security policy that makes injected
 * markup inert. Dev mode is left without it (Vite injects inline scripts there).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'im-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  build: {
    target: 'es2022',
    // No chunk should come near this; a warning means a heavy dependency crept in.
    chunkSizeWarningLimit: 250,
    rolldownOptions: {
      output: {
        // Libraries change far less often than the app: separate files stay cached across deploys.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'libs', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/v1/ws': { target: api, ws: true },
      '/v1': { target: api },
    },
  },
  preview: {
    proxy: {
      '/v1/ws': { target: api, ws: true },
      '/v1': { target: api },
    },
  },
});
