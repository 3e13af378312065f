import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../config';
import type { Principal } from '../auth/principal';
import type { CachedPrincipal } from '../auth/principal-cache';
import type { TokenService } from '../auth/tokens';
import type { AppError } from '../errors';
import type { RequestTransaction } from '../db/request-transaction';
import type { ReplicaReads } from '../db/replica';
import { RequestAudit } from './request-audit';

/** Long-lived parts of the service, built once at start and shared by every request. */
export interface AppServices {
  config: Config;
  db: DataSource;
  tokens: TokenService;
  logger: Logger;
  /** The hot standby for reads that may be a little stale (statistics, search); absent: all on the primary. */
  replica?: ReplicaReads;
}

/**
 * Everything a request's use cases need; built fresh for each request, never shared. It knows
 * nothing of GraphQL: the API layer adds its loaders beside it (see graphql/context.ts).
 */
export interface RequestContext extends Omit<AppServices, 'db'> {
  /**
   * The long-lived data source: for caches shared between requests and for work after the request's
   * transaction has ended. Never for queries while it is open: the request already holds a pool
   * connection, and waiting for a second one can exhaust the pool.
   */
  dataSource: DataSource;
  /**
   * Where the request's SQL runs: once the operation is known, its transaction, committed with the
   * request's audit events; before that, the pool. Inside `inTransaction`, that step's savepoint.
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
  /**
   * Drops the caller's entry from the in-process principal cache, for a use case that changes what
   * the caller's principal is (their second factor): the next request loads it afresh.
   */
  forgetPrincipal?: () => void;
  clientAddress?: string;
  userAgent?: string;
  log: Logger;
  /** What this request has read and changed, for its audit events. */
  audit: RequestAudit;
}

/** Who is calling, as the policy sees it (and the configuration its rules read: who must enrol a second factor). */
export type Caller = Pick<RequestContext, 'principal' | 'authError' | 'config'>;

export function createRequestContext(
  services: AppServices,
  request: Pick<
    RequestContext,
    'requestId' | 'principal' | 'authError' | 'principalCached' | 'forgetPrincipal' | 'clientAddress' | 'userAgent'
  >,
): RequestContext {
  const log = services.logger.child({ requestId: request.requestId, principalId: request.principal?.id });
  return {
    ...services,
    ...request,
    dataSource: services.db,
    db: services.db.manager,
    log,
    audit: new RequestAudit(),
  };
}

/**
 * Runs `work` as one step of the request: in a savepoint of the request's transaction (or a
 * transaction of its own outside one), so a step that fails leaves nothing behind. `work` gets a
 * context whose `db` is that step's; everything else is the request's own, shared, not copied.
 */
export function inTransaction<T>(ctx: RequestContext, work: (ctx: RequestContext) => Promise<T>): Promise<T> {
  return ctx.db.transaction((db) => {
    const step = Object.create(ctx) as RequestContext;
    step.db = db;
    return work(step);
  });
}
