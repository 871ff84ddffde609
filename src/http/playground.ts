// GraphiQL served from the project's own node_modules, so the playground works
// on networks that block CDNs. Queries and mutations go over HTTP, subscriptions
// over graphql-ws on the same /graphql path; the headers typed in the Headers
// panel (e.g. Authorization) are sent with both: as HTTP headers, and as the
// websocket's connection parameters.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router, type Request, type Response } from 'express';

const require = createRequire(import.meta.url);

/** The prebuilt browser bundles: React 18 and GraphiQL 3 still ship UMD files that need no bundler. */
const ASSETS = {
  'react.js': { from: ['react', 'umd/react.production.min.js'], type: 'text/javascript' },
  'react-dom.js': { from: ['react-dom', 'umd/react-dom.production.min.js'], type: 'text/javascript' },
  'graphiql.js': { from: ['graphiql', 'graphiql.min.js'], type: 'text/javascript' },
  'graphiql.css': { from: ['graphiql', 'graphiql.min.css'], type: 'text/css' },
} as const;

const DEFAULT_QUERY = `# The order service API.
#
# Public: register, login, refreshToken, products. Everything else needs a
# token: run register or login, then put this in the Headers panel below
# (it is sent over the websocket too, for subscriptions):
#   { "Authorization": "Bearer <accessToken>" }

query Products {
  products {
    sku
    name
    stock
    price {
      amount
      currencyCode
    }
  }
}
`;

// Served as a file of its own so the page's CSP can forbid inline scripts.
const START_SCRIPT = `(function () {
  'use strict';
  var endpoint = location.origin + '/graphql';
  var params = new URLSearchParams(location.search);
  var fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: endpoint.replace(/^http/, 'ws') });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
      query: params.get('query') || undefined,
      variables: params.get('variables') || undefined,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Order service · GraphiQL</title>
    <link rel="stylesheet" href="/playground/assets/graphiql.css" />
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql">Loading the playground…</div>
    <script src="/playground/assets/react.js"></script>
    <script src="/playground/assets/react-dom.js"></script>
    <script src="/playground/assets/graphiql.js"></script>
    <script src="/playground/assets/start.js"></script>
  </body>
</html>
`;

// Nothing but this origin: the page must not depend on (or leak to) anything outside.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
].join('; ');

/** GET /playground, and GET /graphql from a browser (Accept: text/html). */
export function playgroundRoutes(): Router {
  // Resolved once, here: a missing package fails the start, not a browser's request.
  const files = new Map(
    Object.entries(ASSETS).map(([name, { from, type }]) => [name, { path: packageFile(from[0], from[1]), type }]),
  );
  const router = Router();
  const page = (_req: Request, res: Response) => {
    res.set('content-security-policy', CONTENT_SECURITY_POLICY).type('html').send(PAGE);
  };
  router.get('/playground', page);
  router.get('/graphql', (req, res, next) => {
    if (wantsHtml(req)) page(req, res);
    else next();
  });
  router.get('/playground/assets/start.js', (_req, res) => {
    res.type('text/javascript').send(START_SCRIPT);
  });
  router.get('/playground/assets/:name', (req, res, next) => {
    const asset = files.get(req.params.name);
    if (!asset) return next();
    res.type(asset.type).sendFile(asset.path, { maxAge: '1d' });
  });
  return router;
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

function packageFile(name: string, file: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), file);
}
