import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

/**
 * GraphiQL for people learning the API in a browser: GET /graphql with `Accept: text/html` gets the
 * page; its scripts and styles come from our own node_modules (graphiql, react, react-dom), so it
 * works offline and loads nothing from another host. POSTs and non-HTML GETs go on to Apollo.
 */
export const EXPLORER_ASSETS_PATH = '/graphql/explorer';

const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: 'react/umd/react.production.min.js', type: 'application/javascript' },
  'react-dom.js': { file: 'react-dom/umd/react-dom.production.min.js', type: 'application/javascript' },
  'graphiql.js': { file: 'graphiql/graphiql.min.js', type: 'application/javascript' },
  'graphiql.css': { file: 'graphiql/graphiql.min.css', type: 'text/css' },
};

/** Placeholder in the header editor; sent as is it would fail sign-in, so the page leaves it out. */
const TOKEN_PLACEHOLDER = '<paste an accessToken from the login mutation>';

const DEFAULT_QUERY = `# Safeshare explorer. Sign in first (demo password: safeshare-demo):
#
#   mutation { login(email: "analyst@gmp.example", password: "safeshare-demo") { accessToken expiresAt } }
#
# then paste the accessToken into the Authorization header below (Headers tab), and run:

query Me {
  me { displayName roles agency { name kind } }
}
`;

// Kept out of the page itself so the page's CSP allows no inline script.
const INIT_SCRIPT = `(function () {
  var placeholder = ${JSON.stringify(TOKEN_PLACEHOLDER)};
  function fetcher(params, opts) {
    var headers = Object.assign({ 'content-type': 'application/json' }, (opts && opts.headers) || {});
    Object.keys(headers).forEach(function (name) {
      var value = String(headers[name]);
      if (name.toLowerCase() === 'authorization' && (value.indexOf(placeholder) >= 0 || /^Bearer\\s*$/.test(value))) delete headers[name];
    });
    return fetch(window.location.pathname, { method: 'POST', headers: headers, body: JSON.stringify(params) }).then(function (r) { return r.json(); });
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
    defaultHeaders: ${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` }, null, 2))},
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
  }));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Safeshare GraphiQL explorer</title>
<link rel="stylesheet" href="${EXPLORER_ASSETS_PATH}/graphiql.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading the GraphiQL explorer…</div>
<script src="${EXPLORER_ASSETS_PATH}/react.js"></script>
<script src="${EXPLORER_ASSETS_PATH}/react-dom.js"></script>
<script src="${EXPLORER_ASSETS_PATH}/graphiql.js"></script>
<script src="${EXPLORER_ASSETS_PATH}/init.js"></script>
</body>
</html>
`;

// GraphiQL sets inline styles and data: fonts; everything else is same-origin only.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function assetFile(relative: string): string {
  const [pkg] = relative.split('/');
  const root = path.dirname(require.resolve(`${pkg}/package.json`));
  return path.join(root, relative.slice(pkg.length + 1));
}

/** The explorer's routes: mount before the GraphQL middleware. */
export function explorerRouter(): express.Router {
  const router = express.Router();
  const files = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: fs.readFileSync(assetFile(a.file)), type: a.type }]));
  files.set('init.js', { body: Buffer.from(INIT_SCRIPT), type: 'application/javascript' });

  router.get(`${EXPLORER_ASSETS_PATH}/:name`, (req: Request<{ name: string }>, res: Response, next: NextFunction) => {
    const file = files.get(req.params.name);
    if (!file) return next();
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    res.type(file.type).send(file.body);
  });
  router.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
    // A browser navigating here asks for HTML and sends no query; API clients go on to Apollo.
    if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    res.setHeader('content-security-policy', PAGE_CSP);
    res.type('html').send(PAGE);
  });
  return router;
}
