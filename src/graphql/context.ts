import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../config';
import type { Principal } from '../auth/principal';
import type { CachedPrincipal } from '../auth/principal-cache';
import type { TokenService } from '../auth/tokens';
import { type AppError, unauthenticated } from '../errors';
import { RequestAudit } from '../audit/request-audit';
import { RequestTransaction } from '../db/request-transaction';
import { beginForPrincipal } from '../policy/row-security';
import { createLoaders, type Loaders } from './loaders';

/** Long-lived parts of the service, built once at start and shared by every request. */
export interface AppServices {
  config: Config;
  db: DataSource;
  tokens: TokenService;
  logger: Logger;
}

/** Everything a request's services need; built fresh for each request, never shared. */
export interface RequestContext extends Omit<AppServices, 'db'> {
  /**
   * The long-lived data source: for caches shared between requests and for work after the request's
   * transaction has ended. Never for queries while it is open: the request already holds a pool
   * connection, and waiting for a second one can exhaust the pool.
   */
  dataSource: DataSource;
  /**
   * Where the request's SQL runs: once the operation is known, its transaction (see
   * `openRequestTransaction`), committed with the request's audit events; before that, the pool.
   */
  db: EntityManager;
  /** The operation's transaction, once opening it has begun; the audit plugin ends it. */
  transaction?: Promise<RequestTransaction>;
  requestId: string;
  /** Null for anonymous callers and for callers whose token failed (see `authError`). */
  principal: Principal | null;
  /** Why a presented token was refused; raised only if the operation needs a principal. */
  authError?: AppError;
  /**
   * Set while the principal is one taken from the in-process cache and not yet confirmed against
   * the database: confirmed before a mutation runs and before any response leaves (see PrincipalCache).
   */
  principalCached?: CachedPrincipal;
  clientAddress?: string;
  userAgent?: string;
  loaders: Loaders;
  log: Logger;
  /** What this request has read and changed, for its audit events. */
  audit: RequestAudit;
}

export function createRequestContext(
  services: AppServices,
  request: Pick<RequestContext, 'requestId' | 'principal' | 'authError' | 'principalCached' | 'clientAddress' | 'userAgent'>,
): RequestContext {
  const log = services.logger.child({ requestId: request.requestId, principalId: request.principal?.id });
  const db = services.db.manager;
  return {
    ...services,
    ...request,
    dataSource: services.db,
    db,
    log,
    loaders: createLoaders(db, request.principal),
    audit: new RequestAudit(),
  };
}

/**
 * Replaces a cached principal with the database's (before a mutation runs): loaders are rebuilt for
 * it, and a principal that is gone leaves the request unauthenticated.
 */
export async function confirmPrincipal(ctx: RequestContext): Promise<void> {
  const cached = ctx.principalCached;
  if (!cached) return;
  const principal = await cached.reload();
  ctx.principalCached = undefined;
  if (!principal) {
    ctx.principal = null;
    ctx.authError = unauthenticated('Invalid or expired token');
  } else ctx.principal = principal;
  ctx.loaders = createLoaders(ctx.db, ctx.principal);
}

/**
 * Before an operation runs, one transaction is opened for everything it does, and the request's
 * loaders read through it (so they see what a mutation wrote). A mutation's principal is confirmed
 * first (nothing is written for a stale one); a query's is confirmed with its audit events. The
 * audit plugin writes the request's events in the transaction and commits: no change without its
 * audit, no data without its audit.
 */
export function openRequestTransaction(ctx: RequestContext, confirmFirst: boolean): Promise<RequestTransaction> {
  ctx.transaction ??= (async () => {
    if (confirmFirst) await confirmPrincipal(ctx);
    // The caller rides on the transaction into PostgreSQL: row-level security reads only its rows.
    const transaction = await RequestTransaction.open(ctx.dataSource, beginForPrincipal(ctx.principal));
    ctx.db = transaction.manager;
    ctx.loaders = createLoaders(ctx.db, ctx.principal);
    return transaction;
  })();
  return ctx.transaction;
}
