import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, raw, run, type Sql, sql, type Queryable } from '../db/sql';
import type { NotificationType } from '../notifications/notification.enums';
import { WebhookDeliveryStatus } from './webhook.enums';
import type { WebhookDelivery, WebhookEndpoint } from './webhook.types';

/** The one job task that delivers a webhook (src/notifications/push.ts). */
export const DELIVER_TASK = 'deliver_webhook';

// ---------------------------------------------------------------------------------------------
// Endpoints (an administrator's, under policy/webhooks.ts scopes on alias `we`)

interface EndpointRow {
  id: string;
  url: string;
  events: NotificationType[];
  enabled: boolean;
  description: string;
  created_at: Date;
  secret_issued_at: Date;
  disabled_at: Date | null;
}

const ENDPOINT_COLUMNS = raw('we.id, we.url, we.events, we.enabled, we.description, we.created_at, we.secret_issued_at, we.disabled_at');

const toEndpoint = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  events: row.events,
  enabled: row.enabled,
  description: row.description,
  createdAt: row.created_at,
  secretIssuedAt: row.secret_issued_at,
  disabledAt: row.disabled_at,
});

export interface NewEndpoint {
  agencyId: string;
  url: string;
  events: readonly NotificationType[];
  description: string;
  secret: string;
  createdBy: string;
}

export async function insertEndpoint(db: Queryable, e: NewEndpoint): Promise<WebhookEndpoint> {
  const [row] = await run<EndpointRow>(
    db,
    sql`INSERT INTO webhook_endpoints AS we (agency_id, url, events, description, secret, created_by)
        VALUES (${e.agencyId}::uuid, ${e.url}, ${e.events}::text[], ${e.description}, ${e.secret}, ${e.createdBy}::uuid)
        RETURNING ${ENDPOINT_COLUMNS}`,
  );
  return toEndpoint(row);
}

/** One endpoint within `scope`, locked for a change; null when none (or another agency's). */
export async function lockEndpoint(db: Queryable, scope: Sql, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await run<EndpointRow>(
    db,
    sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints we WHERE we.id = ${id}::uuid AND ${scope} FOR UPDATE`,
  );
  return row ? toEndpoint(row) : null;
}

/** Whether an endpoint within `scope` exists. */
export async function endpointExists(db: Queryable, scope: Sql, id: string): Promise<boolean> {
  const rows = await run(db, sql`SELECT 1 FROM webhook_endpoints we WHERE we.id = ${id}::uuid AND ${scope}`);
  return rows.length > 0;
}

export async function listEndpoints(db: Queryable, scope: Sql): Promise<WebhookEndpoint[]> {
  const rows = await run<EndpointRow>(
    db,
    sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints we WHERE ${scope} ORDER BY we.created_at DESC, we.id DESC`,
  );
  return rows.map(toEndpoint);
}

/** Replaces an endpoint's secret (the old one stops signing at once); returns the endpoint. */
export async function replaceSecret(db: Queryable, id: string, secret: string): Promise<WebhookEndpoint> {
  const [row] = await run<EndpointRow>(
    db,
    sql`WITH we AS (UPDATE webhook_endpoints SET secret = ${secret}, secret_issued_at = clock_timestamp()
                     WHERE id = ${id}::uuid RETURNING *)
        SELECT ${ENDPOINT_COLUMNS} FROM we`,
  );
  return toEndpoint(row);
}

/** Disables an endpoint and cancels its deliveries not yet made; returns it and how many were cancelled. */
export async function markEndpointDisabled(db: Queryable, id: string): Promise<{ endpoint: WebhookEndpoint; cancelled: number }> {
  const [row] = await run<EndpointRow>(
    db,
    sql`WITH we AS (UPDATE webhook_endpoints SET enabled = false, disabled_at = now() WHERE id = ${id}::uuid RETURNING *)
        SELECT ${ENDPOINT_COLUMNS} FROM we`,
  );
  const cancelled = await run(
    db,
    sql`WITH cancelled AS (UPDATE webhook_deliveries SET status = ${WebhookDeliveryStatus.CANCELLED}, job_token = NULL, next_attempt_at = NULL
                            WHERE endpoint_id = ${id}::uuid AND status IN (${WebhookDeliveryStatus.PENDING}, ${WebhookDeliveryStatus.FAILED})
                           RETURNING id)
        SELECT id FROM cancelled`,
  );
  return { endpoint: toEndpoint(row), cancelled: cancelled.length };
}

// ---------------------------------------------------------------------------------------------
// The delivery log (scopes on alias `wd`)

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: NotificationType;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  latency_ms: number | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

const DELIVERY_COLUMNS = raw(`wd.id, wd.endpoint_id, wd.event_id, wd.type, wd.status, wd.attempts, wd.last_status_code, wd.last_error,
  wd.latency_ms, wd.last_attempt_at, wd.next_attempt_at, wd.delivered_at, wd.created_at`);
const DELIVERY_FROM = raw('webhook_deliveries wd');

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  endpointId: row.endpoint_id,
  notificationId: row.event_id,
  type: row.type,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  latencyMs: row.latency_ms,
  lastAttemptAt: row.last_attempt_at,
  nextAttemptAt: row.next_attempt_at,
  deliveredAt: row.delivered_at,
  createdAt: row.created_at,
});

/** One endpoint's deliveries within `scope`, newest first. */
export async function listDeliveries(db: Queryable, scope: Sql, endpointId: string, args: PageRequest): Promise<Page<WebhookDelivery>> {
  const page = await keysetPage<DeliveryRow>(
    db,
    {
      list: 'webhookDeliveries',
      select: DELIVERY_COLUMNS,
      from: DELIVERY_FROM,
      where: and([sql`wd.endpoint_id = ${endpointId}::uuid`, scope]),
      sortColumn: raw('wd.created_at'),
      idColumn: raw('wd.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toDelivery(node) })) };
}

/** One delivery within `scope`, locked, with whether its endpoint is enabled; null when none. */
export async function lockDelivery(
  db: Queryable,
  scope: Sql,
  id: string,
): Promise<(WebhookDelivery & { endpointEnabled: boolean }) | null> {
  const [row] = await run<DeliveryRow & { endpoint_enabled: boolean }>(
    db,
    sql`SELECT ${DELIVERY_COLUMNS}, (SELECT we.enabled FROM webhook_endpoints we WHERE we.id = wd.endpoint_id) AS endpoint_enabled
          FROM ${DELIVERY_FROM} WHERE wd.id = ${id}::uuid AND ${scope} FOR UPDATE OF wd`,
  );
  return row ? { ...toDelivery(row), endpointEnabled: row.endpoint_enabled } : null;
}

/**
 * Queues a delivery again for a new round of attempts, with its job in the same transaction: the
 * new job token supersedes any job still scheduled for it.
 */
export async function requeueDelivery(db: Queryable, id: string): Promise<WebhookDelivery> {
  await run(
    db,
    sql`WITH queued AS (UPDATE webhook_deliveries SET status = ${WebhookDeliveryStatus.PENDING}, round_start = attempts,
                               job_token = gen_random_uuid(), next_attempt_at = now()
                         WHERE id = ${id}::uuid RETURNING id, job_token)
        SELECT safeshare_enqueue(${DELIVER_TASK}, json_build_object('deliveryId', id, 'token', job_token)) FROM queued`,
  );
  const [row] = await run<DeliveryRow>(db, sql`SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM} WHERE wd.id = ${id}::uuid`);
  return toDelivery(row);
}

// ---------------------------------------------------------------------------------------------
// The workers (the system context)

/**
 * Queues the notice's webhook deliveries in the fan-out's transaction: one per enabled endpoint of
 * each of `agencyIds` subscribed to its type, each with its job. Once per endpoint and notice,
 * however often the fan-out runs. Returns the deliveries queued.
 */
export async function insertWebhookDeliveries(
  db: Queryable,
  eventId: string,
  type: NotificationType,
  agencyIds: readonly string[],
): Promise<string[]> {
  if (agencyIds.length === 0) return [];
  const rows = await run<{ id: string }>(
    db,
    sql`WITH queued AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, type, job_token, next_attempt_at)
                        SELECT we.id, ${eventId}::uuid, ${type}::text, gen_random_uuid(), now() FROM webhook_endpoints we
                         WHERE we.agency_id = ANY(${agencyIds}::uuid[]) AND we.enabled AND ${type}::text = ANY(we.events)
                        ON CONFLICT (endpoint_id, event_id) DO NOTHING
                        RETURNING id, job_token)
        SELECT id, safeshare_enqueue(${DELIVER_TASK}, json_build_object('deliveryId', id, 'token', job_token))::text AS queued
          FROM queued ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

/** What one attempt sends: the delivery, its endpoint and its notice. */
export interface ClaimedDelivery {
  id: string;
  /** The token this attempt holds: its outcome is recorded against it. */
  token: string;
  attempts: number;
  round_start: number;
  endpoint_id: string;
  agency_id: string;
  url: string;
  secret: string;
  enabled: boolean;
  event_id: string;
  type: NotificationType;
  occurred_at: Date;
  record_kind: string | null;
  record_id: string | null;
  subject_id: string | null;
}

/**
 * The delivery for one attempt, if `token` is still its job's: a redelivery (a new token) or a
 * finished delivery (none) leaves an older job nothing to do. A job run again after a crash holds
 * the same token and attempts again (at least once; receivers drop repeats by webhook-id).
 */
export async function claimDelivery(db: Queryable, id: string, token: string): Promise<ClaimedDelivery | null> {
  const [row] = await run<ClaimedDelivery>(
    db,
    sql`SELECT d.id, d.job_token AS token, d.attempts, d.round_start, d.endpoint_id, we.agency_id, we.url, we.secret, we.enabled,
               d.event_id, d.type, ev.occurred_at, ev.record_kind, ev.record_id, ev.subject_id
          FROM webhook_deliveries d JOIN webhook_endpoints we ON we.id = d.endpoint_id JOIN notification_events ev ON ev.id = d.event_id
         WHERE d.id = ${id}::uuid AND d.job_token = ${token}::uuid
           AND d.status IN (${WebhookDeliveryStatus.PENDING}, ${WebhookDeliveryStatus.FAILED})`,
  );
  return row ?? null;
}

/** A delivery whose endpoint was disabled: never sent. */
export async function cancelDelivery(db: Queryable, id: string): Promise<void> {
  await run(
    db,
    sql`UPDATE webhook_deliveries SET status = ${WebhookDeliveryStatus.CANCELLED}, job_token = NULL, next_attempt_at = NULL
         WHERE id = ${id}::uuid`,
  );
}

export interface AttemptOutcome {
  status: WebhookDeliveryStatus;
  statusCode: number | null;
  error: string | null;
  latencyMs: number | null;
  /** For FAILED: when the next attempt is due (its job is queued with the outcome). */
  nextAttemptAt: Date | null;
}

/**
 * Records one attempt's outcome against the token it held, and queues the next attempt's job in the
 * same statement. If the delivery was redelivered meanwhile (its token replaced), the attempt is
 * counted but the newer job decides what follows. Returns whether this outcome took effect.
 */
export async function recordAttempt(db: Queryable, id: string, token: string, o: AttemptOutcome): Promise<boolean> {
  const [row] = await run<{ current: boolean }>(
    db,
    sql`WITH prior AS (SELECT job_token = ${token}::uuid AS current FROM webhook_deliveries WHERE id = ${id}::uuid FOR UPDATE),
        done AS (UPDATE webhook_deliveries d
                    SET attempts = d.attempts + 1, last_status_code = ${o.statusCode}::int, last_error = ${o.error},
                        latency_ms = ${o.latencyMs}::int, last_attempt_at = now(),
                        status = CASE WHEN p.current THEN ${o.status}::text ELSE d.status END,
                        delivered_at = CASE WHEN p.current AND ${o.status}::text = ${WebhookDeliveryStatus.DELIVERED} THEN now() ELSE d.delivered_at END,
                        next_attempt_at = CASE WHEN p.current THEN ${o.nextAttemptAt}::timestamptz ELSE d.next_attempt_at END,
                        job_token = CASE WHEN NOT p.current THEN d.job_token
                                         WHEN ${o.status}::text = ${WebhookDeliveryStatus.FAILED} THEN gen_random_uuid() END
                   FROM prior p WHERE d.id = ${id}::uuid
                 RETURNING d.id, d.job_token, p.current)
        SELECT current, (SELECT safeshare_enqueue(${DELIVER_TASK}, json_build_object('deliveryId', id, 'token', job_token),
                                                  ${o.nextAttemptAt}::timestamptz)::text
                           WHERE current AND ${o.status}::text = ${WebhookDeliveryStatus.FAILED}) AS queued
          FROM done`,
  );
  return row?.current ?? false;
}
