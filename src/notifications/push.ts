import { Logger as WorkerLogger, run, type Runner, type Task, type TaskList } from 'graphile-worker';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import type { AppServices } from '../context/request-context';
import { dataSourceUrl } from '../db/migrate';
import { runDeadlineClocks } from '../deadlines/clocks';
import { runPeriodically } from '../periodic';
import { deliverWebhook } from '../webhooks/delivery';
import { DELIVER_TASK } from '../webhooks/webhook.queries';
import { fanOutNotice, scanSubjectAccess } from './fan-out';

export interface PushSharing {
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id a job names, checked: a malformed payload fails its job rather than reaching SQL. */
export function payloadId(payload: unknown, key: string): string {
  const id = (payload as Record<string, unknown> | null)?.[key];
  if (typeof id !== 'string' || !UUID.test(id)) throw new Error(`job payload has no valid ${key}`);
  return id;
}

/** graphile-worker's log lines, through the service's logger. */
function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const line = { scope, ...meta };
    // LogLevel is a const enum of these strings.
    const name = String(level);
    if (name === 'error') logger.error(line, message);
    else if (name === 'warning') logger.warn(line, message);
    else logger.debug(line, message);
  });
}

/**
 * The tasks of push sharing, by graphile-worker job name. Each runs our SQL on the service's own
 * pool (the application role, in the system context), never on the queue's connection.
 */
export function pushTasks(services: AppServices): TaskList {
  const fanOut: Task = (payload, helpers) => fanOutNotice(services.db, payloadId(payload, 'eventId'), String(helpers.job.id));
  // One attempt per job: the task records its outcome and queues the next attempt itself.
  const deliver: Task = (payload, helpers) =>
    deliverWebhook(
      services.db,
      services.config.webhooks,
      payloadId(payload, 'deliveryId'),
      payloadId(payload, 'token'),
      String(helpers.job.id),
    );
  return { fan_out_notice: fanOut, [DELIVER_TASK]: deliver };
}

/**
 * Starts this instance's share of push sharing: the queue's workers (each job runs once, on
 * whichever instance takes it first), the access-notice scan and the deadline clocks (each once at
 * a time across instances).
 * With PUSH_WORKERS=false the instance still writes notices; others deliver them.
 */
export async function startPushSharing(services: AppServices): Promise<PushSharing> {
  const { config, db, logger } = services;
  if (!config.push.workers) return { stop: () => Promise.resolve() };
  // Our own pool rather than graphile-worker's: its pool is ended without being awaited, after its
  // error handler is gone, so a connection dropped during shutdown would be an unhandled error.
  const pool = new Pool({ connectionString: dataSourceUrl(db), max: Math.max(10, config.push.concurrency + 2) });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'push worker idle connection lost'));
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err: err.message }, 'push worker connection lost')));
  const runner: Runner = await run({
    pgPool: pool,
    concurrency: config.push.concurrency,
    taskList: pushTasks(services),
    noHandleSignals: true,
    logger: workerLogger(logger),
  });
  const accessScan = runPeriodically('access notices', config.push.accessScanIntervalMs, logger, async () => {
    const raised = await scanSubjectAccess(db);
    if (raised) logger.debug({ raised }, 'access notices raised');
  });
  const clocks = runPeriodically('deadline clocks', config.deadlines.scanIntervalMs, logger, async () => {
    const done = await runDeadlineClocks(db, config);
    if (done && Object.keys(done.raised).length) logger.debug(done.raised, 'deadline notices raised');
  });
  return {
    async stop() {
      await Promise.all([accessScan.stop(), clocks.stop(), runner.stop()]);
      await pool.end();
    },
  };
}
