import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import type { Logger } from 'pino';
import { Kind, OperationTypeNode } from 'graphql';
import { loadPrincipal } from './auth/principal';
import { storableText } from './db/safe-text';
import { pingDatabase } from './db/data-source';
import { PrincipalCache } from './auth/principal-cache';
import { classifyError, createFormatError, ErrorCode, unauthenticated } from './errors';
import type { AppServices, RequestContext } from './context/request-context';
import { confirmPrincipal, type GraphQLContext, openRequestTransaction, withLoaders } from './graphql/context';
import { createRequestContext } from './context/request-context';
import { nulGuardPlugin } from './graphql/nul-guard';
import { auditPlugin } from './audit/audit.plugin';
import { exportAuditEvents } from './audit/audit.export';
import { publishedAuditKeys } from './audit/signing-keys';
import { auditHttpRefusal } from './audit/http-refusal';
import { queryLimitsPlugin, TOO_COMPLEX } from './graphql/limits';
import { cors, securityHeaders } from './http/headers';
import { createRateLimiter, rateLimitDetails } from './http/rate-limit';
import { buildAppSchema } from './graphql/schema';
import { createMetrics, listenForMetrics, metricsOnMainPort, requireBearer } from './metrics';
import { explorerRouter } from './http/explorer';
import { refuseUntrustedOperations } from './http/trusted-documents';
import { consoleRouter } from './http/console';
import { startPushSharing } from './notifications/push';
import { startSubscriptions } from './subscriptions/subscription.plugin';

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting requests and waits for in-flight ones to finish. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Reuses a well-formed request id from a proxy, so logs correlate across hops; otherwise mints one. */
function requestIdOf(req: Request): string {
  const incoming = req.get('x-request-id');
  return incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const MAX_USER_AGENT = 512;
const storableUserAgent = (req: Request) => {
  const agent = req.get('user-agent');
  return agent === undefined ? undefined : storableText(agent, MAX_USER_AGENT);
};

/**
 * Resolves the bearer token, if any, to a principal. A bad token is remembered, not thrown yet.
 * With `principals`, a cached principal may be returned, which the request must then confirm.
 */
async function authenticate(
  services: AppServices,
  req: Request,
  principals?: PrincipalCache,
): Promise<Pick<RequestContext, 'principal' | 'authError' | 'principalCached' | 'forgetPrincipal'>> {
  const header = req.get('authorization');
  if (!header) return { principal: null };
  // The scheme name is case-insensitive (RFC 7235).
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(header);
  const claims = match ? services.tokens.verify(match[1], 'access') : null;
  if (!claims) return { principal: null, authError: unauthenticated('Invalid or expired token') };
  const { principal, cached, forget } = principals
    ? await principals.resolve(services.db, claims)
    : { principal: await loadPrincipal(services.db, claims), forget: undefined };
  if (!principal) return { principal: null, authError: unauthenticated('Invalid or expired token') };
  return cached ? { principal, principalCached: cached, forgetPrincipal: forget } : { principal, forgetPrincipal: forget };
}

/**
 * The request context for GraphQL and for the routes beside it: request id, principal, client.
 * Only GraphQL passes `principals`: its audit plugin confirms a cached principal; other routes load it.
 */
async function contextFor(
  services: AppServices,
  req: Request,
  res: express.Response,
  principals?: PrincipalCache,
): Promise<RequestContext> {
  return createRequestContext(services, {
    requestId: res.locals.requestId as string,
    ...(await authenticate(services, req, principals)),
    clientAddress: req.ip,
    userAgent: storableUserAgent(req),
  });
}

/** Logs unexpected errors with the request's logger (so with its request id) before they are masked. */
const errorLogPlugin = (fallback: Logger): ApolloServerPlugin<RequestContext> => ({
  requestDidStart: () =>
    Promise.resolve({
      didEncounterErrors: ({ contextValue, errors }) => {
        // The context is missing only when building it failed; the root logger still records that.
        const log = (contextValue as RequestContext | undefined)?.log ?? fallback;
        for (const error of errors) {
          if (classifyError(error) === 'internal') log.error({ err: error.originalError ?? error }, 'unhandled error');
        }
        return Promise.resolve();
      },
    }),
});

/** What the request log line adds for a GraphQL request, by request id: never arguments or content. */
const operationsByRequest = new Map<string, { operationName?: string; field?: string; actorId?: string }>();

/**
 * Notes the operation and actor for the request's log line, and answers HTTP 401 when the request
 * failed for want of a valid token, as GET /audit/export does.
 */
const requestLogPlugin: ApolloServerPlugin<RequestContext> = {
  requestDidStart: () =>
    Promise.resolve({
      willSendResponse: ({ contextValue, operation, operationName, response }) => {
        const selection = operation?.selectionSet.selections.find((sel) => sel.kind === Kind.FIELD);
        operationsByRequest.set(contextValue.requestId, {
          operationName: operationName ?? undefined,
          field: selection?.kind === Kind.FIELD ? selection.name.value : undefined,
          actorId: contextValue.principal?.id,
        });
        const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
        if (errors?.some((e) => e.extensions?.code === String(ErrorCode.UNAUTHENTICATED))) response.http.status = 401;
        return Promise.resolve();
      },
    }),
};

/**
 * Before an operation runs its transaction is opened (a mutation's principal confirmed first); the
 * audit plugin commits it with the request's events.
 */
const requestTransactionPlugin: ApolloServerPlugin<RequestContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation: async ({ contextValue, operation }) => {
        if (operation?.operation === OperationTypeNode.QUERY || operation?.operation === OperationTypeNode.MUTATION)
          await openRequestTransaction(contextValue, operation.operation === OperationTypeNode.MUTATION);
        else await confirmPrincipal(contextValue);
      },
    }),
};

const httpRequestOf = (req: Request) => ({ method: req.method, path: req.originalUrl.split('?')[0] });

/** Refuses query text longer than the limit before it is parsed at all; the refusal is audited. */
function refuseLongQueries(services: AppServices, maxBytes: number) {
  return async (req: Request, res: express.Response, next: express.NextFunction) => {
    const query = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query === 'string' && Buffer.byteLength(query) > maxBytes) {
      try {
        await auditHttpRefusal(await contextFor(services, req, res), httpRequestOf(req), ErrorCode.QUERY_TOO_COMPLEX, {
          queryBytes: Buffer.byteLength(query),
        });
      } catch (err) {
        services.logger.error({ err }, 'refused query could not be audited');
      }
      res.status(400).json({ errors: [{ message: TOO_COMPLEX, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } }] });
      return;
    }
    next();
  };
}

/** Assembles HTTP (express) and GraphQL (Apollo Server) and starts listening. */
export async function startServer(services: AppServices, listen: { port: number; host: string }): Promise<RunningServer> {
  const { config, db, logger } = services;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(app);
  const metrics = createMetrics(db);
  // The per-address limit answers before GraphQL: its checkpoint refusals are audited here.
  const rateLimiter = createRateLimiter(config, logger, async (req, res, error) => {
    const ctx = await contextFor(services, req, res);
    await auditHttpRefusal(ctx, httpRequestOf(req), error.code, { rateLimit: rateLimitDetails(error) });
  });
  const principals = new PrincipalCache();
  // Slow clients cannot hold connections open indefinitely.
  httpServer.requestTimeout = config.requestTimeoutMs;
  httpServer.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
  // Idle keep-alive connections outlive a load balancer's (commonly 60 s) and a client's pause, so a
  // client never sends on a socket the server is closing at that moment.
  httpServer.keepAliveTimeout = 65_000;

  const schema = await buildAppSchema();
  // Subscriptions share the HTTP server and the /graphql path (graphql-ws over WebSocket).
  const subscriptions = await startSubscriptions(services, httpServer, schema, principals);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    allowBatchedHttpRequests: false,
    // main.ts owns shutdown order: drain HTTP, then close the pool, then stop the database.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.maxQueryTokens },
    formatError: createFormatError(schema),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      subscriptions.plugin,
      ApolloServerPluginLandingPageDisabled(),
      // No response is HTTP-cacheable (every one is per principal and audited); the default plugin
      // still wrapped every field resolution to compute cache hints.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDisableSuggestions(),
      metrics.plugin,
      errorLogPlugin(logger),
      requestLogPlugin,
      requestTransactionPlugin,
      nulGuardPlugin,
      queryLimitsPlugin(config.queryLimits),
      rateLimiter.plugin(),
      auditPlugin,
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const operation = operationsByRequest.get(requestId);
      operationsByRequest.delete(requestId);
      logger.info(
        { requestId, method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms, ...operation },
        'request',
      );
    });
    // An aborted request never finishes: forget its operation all the same.
    res.on('close', () => operationsByRequest.delete(requestId));
    next();
  });

  app.use(securityHeaders, cors(config.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await pingDatabase(db);
      const pending = await db.showMigrations();
      res.status(pending ? 503 : 200).json({ status: pending ? 'migrations pending' : 'ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  const serveMetrics = async (_req: Request, res: express.Response) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  const metricsAccess = metricsOnMainPort(config);
  if (metricsAccess === 'token') app.get('/metrics', requireBearer(config.metricsToken ?? ''), serveMetrics);
  else if (metricsAccess === 'open') app.get('/metrics', serveMetrics);

  // Public on purpose: an oversight body fetches it once and keeps it, to verify checkpoints offline.
  const auditKeys = publishedAuditKeys(config.auditSigning);
  app.get('/audit/public-key', (_req, res) => {
    res.json(auditKeys);
  });

  // Streamed outside GraphQL: an export can be far larger than one response should hold.
  app.get('/audit/export', rateLimiter.middleware(), async (req, res, next) => {
    try {
      await exportAuditEvents(await contextFor(services, req, res), req, res);
    } catch (error) {
      if (res.headersSent) {
        logger.error({ err: error }, 'audit export failed mid-stream');
        res.destroy();
      } else next(error);
    }
  });

  if (config.explorer) {
    // An install without the explorer's packages still serves the API.
    try {
      app.use(explorerRouter());
    } catch (error) {
      logger.warn({ err: error }, 'GraphiQL explorer unavailable: run npm install (graphiql, react, react-dom)');
    }
  }

  if (config.console.enabled) app.use(consoleRouter(config.console.dir));

  app.use(
    '/graphql',
    rateLimiter.middleware(),
    express.json({ limit: config.bodyLimitBytes }),
    refuseLongQueries(services, config.maxQueryBytes),
    refuseUntrustedOperations(services, async (req, res, details) => {
      const ctx = await contextFor(services, req, res);
      ctx.audit.documentHash = details.documentHash;
      await auditHttpRefusal(ctx, httpRequestOf(req), ErrorCode.OPERATION_NOT_TRUSTED, { operationName: details.operationName });
    }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => withLoaders(await contextFor(services, req, res, principals)),
    }),
  );

  // Malformed JSON, oversized bodies and unknown paths: a clean JSON error, never a stack trace.
  app.use((_req: Request, res: express.Response) => {
    res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use(async (err: { status?: number; type?: string }, req: Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err }, 'http error');
    const message = err.type === 'entity.too.large' ? 'Request body too large' : status === 500 ? 'Internal server error' : 'Bad request';
    const code = status === 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_USER_INPUT;
    // A body GraphQL never read (malformed JSON, too large) is still an attempt: audited like one.
    if (req.path.startsWith('/graphql') && status !== 500) {
      try {
        await auditHttpRefusal(await contextFor(services, req, res), httpRequestOf(req), code, { problem: err.type ?? 'bad request' });
      } catch (error) {
        logger.error({ err: error }, 'refused request could not be audited');
      }
    }
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  await new Promise<void>((resolve) => httpServer.listen(listen.port, listen.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const metricsServer =
    config.metricsPort === undefined ? undefined : await listenForMetrics(serveMetrics, config.metricsPort, listen.host);
  const url = `http://${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:${port}/graphql`;
  const push = await startPushSharing(services);
  return {
    url,
    port,
    async close() {
      await push.stop();
      await apollo.stop();
      await rateLimiter.close();
      await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)));
    },
  };
}
