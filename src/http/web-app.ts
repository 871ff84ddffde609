// Serves the built web app (web/dist, made by `npm run build`) at /, on the
// API's own origin. Hashed files under /assets are cached for a year (their
// names change with their content); index.html is never cached, so a new
// deploy is picked up on the next load. Any other GET for a page (Accept:
// text/html) gets index.html: the app routes /orders/123 itself. The API's
// own paths are never answered here, wherever this router is mounted.
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';

/** Paths that belong to the API and its operators, never to the app. */
export const API_PATHS = ['/graphql', '/healthz', '/readyz', '/metrics', '/playground'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

// The app loads only from this origin and talks only to it (https and wss included).
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export interface WebAppOptions {
  /** The built app; defaults to web/dist in the project root. */
  dir?: string;
}

export function webAppRoutes(options: WebAppOptions = {}): Router {
  const dir = options.dir ?? defaultWebAppDir();
  const index = join(dir, 'index.html');
  const router = Router();

  router.use((req, res, next) => {
    if (isApiPath(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next('router');
    res.set({
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    next();
  });

  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      // The app's own files only; dotfiles (.env and the like) are never served.
      dotfiles: 'ignore',
      setHeaders(res, path) {
        res.setHeader('cache-control', isHashedAsset(dir, path) ? IMMUTABLE : REVALIDATE);
      },
    }),
  );

  // A missing hashed file is a 404, not the page: a stale tab asking for last deploy's chunk must fail clearly.
  router.use('/assets', (_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });

  router.use((req, res, next) => {
    if (req.accepts(['html', 'json']) !== 'html') return next();
    if (!existsSync(index)) {
      res
        .status(503)
        .set('cache-control', 'no-store')
        .type('text/plain')
        .send('The web app has not been built: run `npm run build`.');
      return;
    }
    sendIndex(res);
  });

  function sendIndex(res: Response) {
    res.set('cache-control', REVALIDATE).sendFile(index);
  }

  return router;
}

function isApiPath(path: string): boolean {
  return API_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function isHashedAsset(dir: string, path: string): boolean {
  return path.startsWith(join(dir, 'assets') + sep);
}

/** <project root>/web/dist, found from this file whether it runs from src/ (tests) or dist/src/ (npm start, Docker). */
export function defaultWebAppDir(): string {
  let here = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(here, 'package.json'))) return join(here, 'web', 'dist');
    const parent = dirname(here);
    if (parent === here) return join(process.cwd(), 'web', 'dist');
    here = parent;
  }
}
