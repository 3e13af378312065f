import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Principal } from '../auth/principal';
import type { TokenService } from '../auth/tokens';
import type { AppError } from '../errors';
import { RequestAudit } from '../audit/request-audit';
import { createLoaders, type Loaders } from './loaders';

/** Long-lived parts of the service, built once at start and shared by every request. */
export interface AppServices {
  config: Config;
  db: DataSource;
  tokens: TokenService;
  logger: Logger;
}

/** Everything a request's services need; built fresh for each request, never shared. */
export interface RequestContext extends AppServices {
  requestId: string;
  /** Null for anonymous callers and for callers whose token failed (see `authError`). */
  principal: Principal | null;
  /** Why a presented token was refused; raised only if the operation needs a principal. */
  authError?: AppError;
  clientAddress?: string;
  userAgent?: string;
  loaders: Loaders;
  log: Logger;
  /** What this request has read and changed, for its audit events. */
  audit: RequestAudit;
}

export function createRequestContext(
  services: AppServices,
  request: Pick<RequestContext, 'requestId' | 'principal' | 'authError' | 'clientAddress' | 'userAgent'>,
): RequestContext {
  const log = services.logger.child({ requestId: request.requestId, principalId: request.principal?.id });
  return { ...services, ...request, log, loaders: createLoaders(services.db, request.principal), audit: new RequestAudit() };
}
