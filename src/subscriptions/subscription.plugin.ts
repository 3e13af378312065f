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
import { WebSocketServer } from 'ws';
import { loadPrincipal } from '../auth/principal';
import type { PrincipalCache } from '../auth/principal-cache';
import { createRequestContext, type AppServices } from '../context/request-context';
import { dataSourceUrl } from '../db/migrate';
import { storableText } from '../db/safe-text';
import { AppError, createFormatError, ErrorCode } from '../errors';
import { withLoaders } from '../graphql/context';
import { checkQueryLimits, tooComplex } from '../graphql/limits';
import { runPeriodically } from '../periodic';
import { decide, Permission } from '../policy/permissions';
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
  const relay = new NoticeRelay(dataSourceUrl(db), logger);
  relay.onNotice(({ eventId, recipientIds }) => {
    for (const id of recipientIds) for (const live of registry.forPrincipal(id)) live.deliver(eventId);
  });
  await relay.start();

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: limits.maxPayloadBytes });
  type Extra = { live?: LiveConnection };
  const cleanup = useServer<ConnectionInitMessage['payload'], Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const refuse = (code: number, reason: string) => {
          socket.close(code, reason);
          return false;
        };
        const token = tokenOf(ctx.connectionParams);
        const claims = token ? services.tokens.verify(token, 'access') : null;
        if (!claims) return refuse(CloseCode.Unauthorized, 'Unauthorized');
        // As a mutation does: a cached principal is confirmed against the database before it is trusted.
        const resolved = await principals.resolve(db, claims);
        const principal = resolved.cached ? await resolved.cached.reload() : resolved.principal;
        if (!principal) return refuse(CloseCode.Unauthorized, 'Unauthorized');
        if (decide(Permission.READ_NOTIFICATIONS, principal) !== 'ALLOW') return refuse(CloseCode.Forbidden, 'Forbidden');
        const live = new LiveConnection(principal, claims, randomUUID(), (code, reason) => socket.close(code, reason));
        if (!registry.add(live, limits.maxConnectionsPerPrincipal)) {
          live.close(CloseCode.TooManyConnections, 'Too many connections');
          return false;
        }
        ctx.extra.live = live;
        return true;
      },
      onSubscribe: (ctx, _id, payload: SubscribePayload) => {
        const live = ctx.extra.live;
        if (!live || live.closed) return [refusal(new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid or expired token'))];
        if (Buffer.byteLength(payload.query) > config.maxQueryBytes) return [refusal(tooComplex())];
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
        const { request } = ctx.extra;
        const userAgent = request.headers['user-agent'];
        const contextValue = withLoaders(
          createRequestContext(services, {
            requestId: live.requestId,
            principal: live.principal,
            clientAddress: request.socket.remoteAddress,
            userAgent: userAgent === undefined ? undefined : storableText(userAgent, MAX_USER_AGENT),
          }),
        ) as SubscriptionContext;
        contextValue.live = live;
        contextValue.maxSubscriptions = limits.maxPerConnection;
        contextValue.audit.operationName = payload.operationName ?? null;
        contextValue.audit.documentHash = createHash('sha256').update(payload.query).digest('hex');
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      // What leaves is formatted as over HTTP: public codes, no internals.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
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
        else if (decide(Permission.READ_NOTIFICATIONS, principal) !== 'ALLOW') live.close(CloseCode.Forbidden, 'Forbidden');
        else live.principal = principal;
      }),
    );
  });

  return {
    plugin: {
      serverWillStart: () =>
        Promise.resolve({
          async drainServer() {
            recheck.stop();
            await cleanup.dispose();
            await relay.stop();
          },
        }),
    },
  };
}
