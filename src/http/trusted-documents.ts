import type { NextFunction, Request, Response } from 'express';
import type { AppServices } from '../context/request-context';
import { ErrorCode } from '../errors';
import { checkTrustedOperation, NOT_TRUSTED_MESSAGE, type OperationAsked } from '../partner-apps/trusted-documents';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function persistedHashOf(extensions: unknown): string | undefined {
  let parsed = extensions;
  if (typeof extensions === 'string') {
    try {
      parsed = JSON.parse(extensions);
    } catch {
      return undefined;
    }
  }
  const persisted = isObject(parsed) ? parsed.persistedQuery : undefined;
  return isObject(persisted) && typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/** What a GraphQL request over HTTP asks to run; undefined for what GraphQL refuses anyway (a batch). */
function askedOf(req: Request): (OperationAsked & { operationName?: string }) | undefined {
  const source: unknown = req.method === 'GET' ? req.query : req.body;
  if (!isObject(source)) return undefined;
  return {
    query: typeof source.query === 'string' ? source.query : undefined,
    sha256Hash: persistedHashOf(source.extensions),
    operationName: typeof source.operationName === 'string' ? source.operationName : undefined,
  };
}

/** Puts the manifest's text of a hash-only request where Apollo Server reads the query. */
function supplyQuery(req: Request, query: string): void {
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://localhost');
    url.searchParams.set('query', query);
    req.url = `${url.pathname}${url.search}`;
  } else (req.body as Record<string, unknown>).query = query;
}

/**
 * Trusted documents over HTTP: a partner app's token whose app has an allow-list runs only the
 * operations on it. The check itself is `checkTrustedOperation` (WebSocket subscriptions use it too).
 * A request may send the document, or only its sha256 (`extensions.persistedQuery.sha256Hash`,
 * as Apollo's persisted queries do): the text then comes from the manifest. Anything else is
 * refused here, before GraphQL parses it (HTTP 403, OPERATION_NOT_TRUSTED), and `audit` records it.
 * Other callers pass through untouched; a bad token is left to authentication.
 */
export function refuseUntrustedOperations(
  services: AppServices,
  audit: (req: Request, res: Response, details: { documentHash: string | null; operationName: string | null }) => Promise<void>,
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(req.get('authorization') ?? '');
      const claims = match ? services.tokens.verify(match[1], 'access') : null;
      const asked = claims?.pk === 'SERVICE' ? askedOf(req) : undefined;
      if (!claims || !asked) return next();
      const outcome = await checkTrustedOperation(services.db, claims.sub, asked);
      if (outcome.trusted) {
        if (outcome.query !== undefined) supplyQuery(req, outcome.query);
        return next();
      }
      try {
        await audit(req, res, { documentHash: outcome.hash, operationName: asked.operationName ?? null });
      } catch (err) {
        // Refused either way: a trail that cannot be written must not open the gate.
        services.logger.error({ err }, 'untrusted operation could not be audited');
      }
      res.status(403).json({ errors: [{ message: NOT_TRUSTED_MESSAGE, extensions: { code: ErrorCode.OPERATION_NOT_TRUSTED } }] });
    } catch (error) {
      next(error);
    }
  };
}
