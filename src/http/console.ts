import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

/**
 * The console (console/, built by `npm run build` into dist/console): index.html for every page
 * path, hashed files under /console/assets/. Under a strict CSP: scripts, styles, images and
 * requests from this origin only, no inline script or style, no framing.
 */
export const CONSOLE_PATH = '/console';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = 'The console is not built: run `npm run build` (it builds dist/console), then restart the service.';

/** The repository (or image) root: the nearest directory above this file holding package.json. */
function appRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const defaultConsoleDir = () => path.join(appRoot(), 'dist', 'console');

function consoleHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  // The page itself may change with a deploy; its hashed assets never do.
  res.setHeader('cache-control', 'no-store');
  next();
}

/** Routes for /console; `dir` holds the build (read on each request, so a build made later is served). */
export function consoleRouter(dir: string = defaultConsoleDir()): express.Router {
  const router = express.Router();
  const assets = path.join(dir, 'assets');
  router.use(CONSOLE_PATH, consoleHeaders);
  router.get(`${CONSOLE_PATH}/assets/:name`, (req: Request<{ name: string }>, res: Response, next: NextFunction) => {
    const { name } = req.params;
    // Vite's file names: letters, digits, dashes, underscores and dots; nothing that climbs out.
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || !fs.existsSync(path.join(assets, name))) return next();
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    res.sendFile(name, { root: assets, dotfiles: 'deny', cacheControl: false, lastModified: false });
  });
  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/{*page}`], (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith(`${CONSOLE_PATH}/assets/`)) return next();
    fs.readFile(path.join(dir, 'index.html'), (error, page) => {
      if (error) {
        res.status(503).type('text/plain').send(NOT_BUILT);
        return;
      }
      res.type('html').send(page);
    });
  });
  return router;
}
