import { createHash, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  getOperationAST,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  OperationTypeNode,
  parse,
  validate,
} from 'graphql';
import { type ConnectionInitMessage, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { checkTrustedOperation, NOT_TRUSTED_MESSAGE } from '../partner-apps/trusted-documents';
import { WebSocketServer } from 'ws';
import { loadPrincipal } from '../auth/principal';
import type { PrincipalCache } from '../auth/principal-cache';
import { auditHttpRefusal } from '../audit/http-refusal';
import type { Principal } from '../auth/principal';
import { createRequestContext, type AppServices, type RequestContext } from '../context/request-context';
import { dataSourceUrl } from '../db/migrate';
import { storableText } from '../db/safe-text';
import { AppError, createFormatError, ErrorCode } from '../errors';
import { withLoaders } from '../graphql/context';
import { checkQueryLimits, tooComplex } from '../graphql/limits';
import { runPeriodically } from '../periodic';
import { decide, Permission } from '../policy/permissions';
import { secondFactorRefusal } from '../policy/second-factor';
import { CloseCode, ConnectionRegistry, LiveConnection } from './live-connection';
import { NoticeRelay } from './notice-relay';
import type { SubscriptionContext } from './subscription.service';

export interface SubscriptionServer {
  /** Apollo's drain hook for the WebSocket server (Apollo Server's documented pattern). */
  plugin: ApolloServerPlugin;
}

/** The access token from `connection_init`: `{ authorization: 'Bearer <token>' }` or `{ token }`. */
export function tokenOf(params: ConnectionInitMessage['payload']): string | null {
  const authorization = params?.authorization;
  if (typeof authorization === 'string') {
    // As over HTTP: the scheme name is case-insensitive (RFC 7235).
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(authorization);
    return match ? match[1] : null;
  }
  const token = params?.token;
  return typeof token === 'string' && /^[A-Za-z0-9_.-]+$/.test(token) ? token : null;
}

/** A refusal sent as a GraphQL error with our code (graphql-ws sends it as the operation's `error`). */
const refusal = (error: AppError) => new GraphQLError(error.message, { originalError: error, extensions: { code: error.code } });

const MAX_USER_AGENT = 512;

/** A request context for the socket's upgrade request: who (once known), from where, with which client. */
function socketContext(
  services: AppServices,
  request: http.IncomingMessage,
  principal: Principal | null,
  requestId: string = randomUUID(),
): RequestContext {
  const userAgent = request.headers['user-agent'];
  return createRequestContext(services, {
    requestId,
    principal,
    clientAddress: request.socket.remoteAddress,
    userAgent: userAgent === undefined ? undefined : storableText(userAgent, MAX_USER_AGENT),
  });
}

/** A refused socket or operation leaves its event, as a refused HTTP request does (best effort: the refusal stands either way). */
async function auditRefusal(ctx: RequestContext, code: string, details: Record<string, unknown>): Promise<void> {
  try {
    await auditHttpRefusal(ctx, { method: 'GET', path: '/graphql' }, code as ErrorCode, { transport: 'websocket', ...details });
  } catch (err) {
    ctx.log.error({ err }, 'refused subscription could not be audited');
  }
}

const CLOSE_REASONS: Record<number, ErrorCode> = {
  [CloseCode.Unauthorized]: ErrorCode.UNAUTHENTICATED,
  [CloseCode.Forbidden]: ErrorCode.FORBIDDEN,
  [CloseCode.TooManyConnections]: ErrorCode.RATE_LIMITED,
};

/** The code of a refused operation's first error, as the client sees it. */
const codeOf = (errors: readonly GraphQLFormattedError[]): string => {
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.BAD_USER_INPUT;
};

/**
 * GraphQL subscriptions on the HTTP server's `/graphql` path (graphql-ws over `ws`). A socket is
 * authenticated once, at `connection_init`, as an HTTP request is (the same token check, the same
 * principal cache, confirmed against the database), and closed when its token expires, its session
 * ends or its account is disabled (checked on each notice and every SUBSCRIPTION_RECHECK_INTERVAL_MS).
 * Only subscription operations are served here: queries and mutations go over HTTP, through the
 * audit and transaction plugins. Notices arrive through the relay (notice-relay.ts).
 */
export async function startSubscriptions(
  services: AppServices,
  httpServer: http.Server,
  schema: GraphQLSchema,
  principals: PrincipalCache,
): Promise<SubscriptionServer> {
  const { config, db, logger } = services;
  const limits = config.subscriptions;
  const formatError = createFormatError(schema);
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => formatError(e.toJSON(), e));
  const registry = new ConnectionRegistry();
  // As a query's permission check: the permission, and no second factor still to enrol.
  const mayListen = (principal: Principal) =>
    decide(Permission.READ_NOTIFICATIONS, principal) === 'ALLOW' &&
    !secondFactorRefusal(Permission.READ_NOTIFICATIONS, principal, config.accounts.totpRequiredRoles);
  const relay = new NoticeRelay(dataSourceUrl(db), logger);
  relay.onNotice(({ eventId, recipientIds }) => {
    for (const id of recipientIds) for (const live of registry.forPrincipal(id)) live.deliver(eventId);
  });
  await relay.start();

  const auditOperationRefusal = (
    extra: Extra & { request: http.IncomingMessage },
    payload: SubscribePayload,
    errors: GraphQLFormattedError[],
  ) =>
    auditRefusal(socketContext(services, extra.request, extra.live?.principal ?? null, extra.live?.requestId), codeOf(errors), {
      operationName: payload.operationName ?? null,
      documentHash: createHash('sha256').update(payload.query).digest('hex'),
    });

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: limits.maxPayloadBytes });
  type Extra = { live?: LiveConnection };
  const cleanup = useServer<ConnectionInitMessage['payload'], Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        let principal: Principal | null = null;
        const refuse = async (code: number, reason: string) => {
          socket.close(code, reason);
          await auditRefusal(socketContext(services, request, principal), CLOSE_REASONS[code], { closeCode: code });
          return false;
        };
        const token = tokenOf(ctx.connectionParams);
        const claims = token ? services.tokens.verify(token, 'access') : null;
        if (!claims) return refuse(CloseCode.Unauthorized, 'Unauthorized');
        // As a mutation does: a cached principal is confirmed against the database before it is trusted.
        const resolved = await principals.resolve(db, claims);
        principal = resolved.cached ? await resolved.cached.reload() : resolved.principal;
        if (!principal) return refuse(CloseCode.Unauthorized, 'Unauthorized');
        if (!mayListen(principal)) return refuse(CloseCode.Forbidden, 'Forbidden');
        const live = new LiveConnection(principal, claims, randomUUID(), (code, reason) => socket.close(code, reason));
        if (!registry.add(live, limits.maxConnectionsPerPrincipal)) {
          live.close(CloseCode.TooManyConnections, 'Too many connections');
          return refuse(CloseCode.TooManyConnections, 'Too many connections');
        }
        // The client may have gone while its principal was looked up: onClose has run, so forget it here.
        if (socket.readyState !== socket.OPEN) {
          registry.remove(live);
          live.close(1000, 'Closed');
          return false;
        }
        ctx.extra.live = live;
        return true;
      },
      onSubscribe: async (ctx, _id, payload: SubscribePayload) => {
        const live = ctx.extra.live;
        if (!live || live.closed) return [refusal(new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid or expired token'))];
        if (Buffer.byteLength(payload.query) > config.maxQueryBytes) return [refusal(tooComplex())];
        // A partner app with trusted documents subscribes only with a document on its list, as over HTTP.
        if (live.principal.kind === 'SERVICE' && !(await checkTrustedOperation(db, live.principal.id, { query: payload.query })).trusted)
          return [refusal(new AppError(ErrorCode.OPERATION_NOT_TRUSTED, NOT_TRUSTED_MESSAGE))];
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.maxQueryTokens });
        } catch (error) {
          return [error as GraphQLError];
        }
        const invalid = validate(schema, document);
        if (invalid.length) return invalid;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [refusal(new AppError(ErrorCode.BAD_USER_INPUT, 'Unable to identify the operation'))];
        if (operation.operation !== OperationTypeNode.SUBSCRIPTION)
          return [
            refusal(
              new AppError(ErrorCode.BAD_USER_INPUT, 'Only subscriptions are served over WebSocket: send queries and mutations over HTTP'),
            ),
          ];
        try {
          checkQueryLimits(document, operation, payload.variables ?? {}, config.queryLimits);
        } catch (error) {
          return [error as GraphQLError];
        }
        const contextValue = withLoaders(socketContext(services, ctx.extra.request, live.principal, live.requestId)) as SubscriptionContext;
        contextValue.live = live;
        contextValue.maxSubscriptions = limits.maxPerConnection;
        contextValue.audit.operationName = payload.operationName ?? null;
        contextValue.audit.documentHash = createHash('sha256').update(payload.query).digest('hex');
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      // What leaves is formatted as over HTTP: public codes, no internals.
      onNext: async (ctx, _id, payload, _args, result) => {
        if (!result.errors) return undefined;
        const errors = format(result.errors);
        // No data: the operation was refused (a subscription past the limit), not a notice.
        if (!result.data) await auditOperationRefusal(ctx.extra, payload, errors);
        return { ...result, errors };
      },
      onError: async (ctx, _id, payload, raw) => {
        const errors = format(raw);
        await auditOperationRefusal(ctx.extra, payload, errors);
        return errors;
      },
      onClose: (ctx) => {
        const live = ctx.extra.live;
        if (!live) return;
        live.close(1000, 'Closed');
        registry.remove(live);
      },
    },
    wsServer,
  );

  // Logout, a disabled account or a role change reaches an idle socket within one interval.
  const recheck = runPeriodically('subscription sessions', limits.recheckIntervalMs, logger, async () => {
    await Promise.all(
      registry.all().map(async (live) => {
        const principal = await loadPrincipal(db, live.claims);
        if (live.closed) return;
        if (!principal) live.close(CloseCode.Unauthorized, 'Session ended');
        else if (!mayListen(principal)) live.close(CloseCode.Forbidden, 'Forbidden');
        else live.principal = principal;
      }),
    );
  });

  return {
    plugin: {
      serverWillStart: () =>
        Promise.resolve({
          async drainServer() {
            await recheck.stop();
            await cleanup.dispose();
            await relay.stop();
          },
        }),
    },
  };
}
