/**
 * Serves the built web UI at `/ui/` (public static files; every API call the UI makes carries
 * the bearer token). Paths that are not files get `index.html`, so the UI's own routes
 * (`/ui/clusters/prod-eu`) survive a reload. Hashed assets are cached for a year, `index.html`
 * never, and every UI response carries a Content-Security-Policy that allows only this origin.
 */
import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';

export const UI_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/** Vite puts content-hashed files here; their names change whenever their content does. */
const HASHED_ASSETS_DIR = 'assets';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Driftless UI not built</title></head>
<body>
<h1>The Driftless web UI is not built</h1>
<p>This audit service found no built UI. Build it once from the repository root:</p>
<pre>npm run build -w @driftless/ui</pre>
<p>then restart the audit service, or point <code>DRIFTLESS_AUDIT_UI_DIR</code> at a folder holding a built UI (its <code>index.html</code> and <code>assets/</code>).</p>
<p>The API itself works without it: see <a href="/docs">/docs</a>.</p>
</body></html>
`;

/** True when `dir` holds a built UI. */
export function isUiBuilt(dir: string | undefined): dir is string {
  return dir !== undefined && existsSync(join(dir, 'index.html'));
}

export function uiRoutes(uiDir: string | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    const isBuilt = isUiBuilt(uiDir);
    if (isBuilt) await app.register(fastifyStatic, { root: uiDir, serve: false });

    const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

    app.get('/', { config: { isPublic: true }, schema: { hide: true } }, (_request, reply) => reply.redirect('/ui/'));
    app.get('/ui', { config: { isPublic: true }, schema: { hide: true } }, (_request, reply) => reply.redirect('/ui/'));
    app.get('/ui/*', { config: { isPublic: true }, schema: { hide: true } }, (request, reply) => {
      void reply.headers(UI_SECURITY_HEADERS);
      if (!isBuilt) return reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
      const wanted = (request.params as { '*': string })['*'];
      // Leading `..` segments are dropped, so a path can never climb out of the UI folder.
      const relative = normalize(wanted).replace(/^(\.\.(\/|\\|$))+/, '');
      const path = join(uiDir, relative);
      if (relative !== '' && relative !== '.' && existsSync(path) && statSync(path).isFile()) {
        if (relative.startsWith(`${HASHED_ASSETS_DIR}${sep}`)) return reply.sendFile(relative, { maxAge: '365d', immutable: true });
        return reply.header('cache-control', 'no-cache').sendFile(relative, { cacheControl: false });
      }
      // A missing hashed asset is a stale page asking for an old build: a 404, not the app shell.
      if (relative.startsWith(`${HASHED_ASSETS_DIR}${sep}`)) return reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('no such asset\n');
      return sendIndex(reply);
    });
  };
}
