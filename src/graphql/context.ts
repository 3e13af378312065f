import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { RequestContext } from '../context/request-context';
import { RequestTransaction } from '../db/request-transaction';
import { unauthenticated } from '../errors';
import { beginForPrincipal } from '../db/row-security';
import { createLoaders, type Loaders } from './loaders';

/** A request as GraphQL sees it: the request's context, with batch loaders for nested fields. */
export interface GraphQLContext extends RequestContext {
  /** Built on first use, for the request's current transaction and principal. */
  readonly loaders: Loaders;
}

interface BuiltLoaders {
  db: EntityManager;
  principal: Principal | null;
  loaders: Loaders;
}
const builtLoaders = new WeakMap<object, BuiltLoaders>();

/**
 * Where a request's loaders come from: built when a resolver first asks for them, and built again if
 * the request's transaction or principal has changed since (so they never read through a stale one).
 * A prototype, not an own property: Apollo copies the context's own properties for each operation.
 */
const loadersOnDemand = Object.create(Object.prototype, {
  loaders: {
    get(this: RequestContext): Loaders {
      const built = builtLoaders.get(this);
      if (built && built.db === this.db && built.principal === this.principal) return built.loaders;
      const loaders = createLoaders(this.db, this.principal);
      builtLoaders.set(this, { db: this.db, principal: this.principal, loaders });
      return loaders;
    },
  },
}) as object;

/** Gives a request its loaders (see `loadersOnDemand`). */
export function withLoaders(ctx: RequestContext): GraphQLContext {
  return Object.setPrototypeOf(ctx, loadersOnDemand) as GraphQLContext;
}

/**
 * Replaces a cached principal with the database's (before a mutation runs); a principal that is
 * gone leaves the request unauthenticated.
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
    return transaction;
  })();
  return ctx.transaction;
}
