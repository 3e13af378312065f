import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from './config';
import type { RequestContext } from './context/request-context';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface Metrics {
  registry: Registry;
  plugin: ApolloServerPlugin<RequestContext>;
}

/**
 * Prometheus metrics for `GET /metrics`: GraphQL requests by operation and outcome, their latency,
 * and the database pool. Operations are labelled by root field (bounded by the schema), never by
 * the client-chosen operation name, so a caller cannot blow up label cardinality.
 */
export function createMetrics(db: DataSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['operation', 'outcome'] as const;
  const requests = new Counter({ name: 'safeshare_graphql_requests_total', help: 'GraphQL requests', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'safeshare_graphql_request_duration_seconds',
    help: 'GraphQL request latency',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pool = () => (db.driver as unknown as { master?: PgPool }).master;
  for (const [name, read] of [
    ['safeshare_db_pool_connections', (p: PgPool) => p.totalCount],
    ['safeshare_db_pool_idle', (p: PgPool) => p.idleCount],
    ['safeshare_db_pool_waiting', (p: PgPool) => p.waitingCount],
  ] as const) {
    new Gauge({
      name,
      help: `Database pool: ${name.replace('safeshare_db_pool_', '')}`,
      registers: [registry],
      collect() {
        const p = pool();
        this.set(p ? read(p) : 0);
      },
    });
  }

  const plugin: ApolloServerPlugin<RequestContext> = {
    requestDidStart() {
      const end = latency.startTimer();
      return Promise.resolve({
        willSendResponse({ operation, response }) {
          const selection = operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
          // The formatted errors carry our public codes; the raw ones may not.
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const labels = {
            operation: selection?.kind === Kind.FIELD ? selection.name.value : 'unknown',
            outcome: errors?.length ? (typeof errors[0].extensions?.code === 'string' ? errors[0].extensions.code : 'ERROR') : 'OK',
          };
          requests.inc(labels);
          end(labels);
          return Promise.resolve();
        },
      });
    },
  };
  return { registry, plugin };
}

/**
 * Who may read /metrics on the API's own port. With METRICS_TOKEN, whoever presents it as a bearer
 * token; with only METRICS_PORT, nobody there (it is served on that port); with neither, open in
 * development, tests and the embedded demo, and not served in production (operation counts and
 * pool sizes are not for every client).
 */
export function metricsOnMainPort(config: Pick<Config, 'metricsToken' | 'metricsPort' | 'env' | 'databaseUrl'>): 'token' | 'open' | 'off' {
  if (config.metricsToken) return 'token';
  if (config.metricsPort !== undefined) return 'off';
  return config.env !== 'production' || !config.databaseUrl ? 'open' : 'off';
}

/** Compares the bearer token in constant time; a missing or wrong one is 401 with the usual error body. */
export function requireBearer(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = Buffer.from(/^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) return next();
    res
      .status(401)
      .setHeader('www-authenticate', 'Bearer')
      .json({ errors: [{ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } }] });
  };
}

/** /metrics alone on a port of its own (for a scraper on a private network), without a token. */
export async function listenForMetrics(
  serve: (req: Request, res: Response) => Promise<void>,
  port: number,
  host: string,
): Promise<http.Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', serve);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
