import { randomBytes } from 'node:crypto';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import { AppError, badInput, ErrorCode, notFound } from '../errors';
import { recordChanges } from '../history/history.service';
import type { NotificationType } from '../notifications/notification.enums';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { webhookAgencyOf, webhookDeliveryScope, webhookEndpointScope } from '../policy/webhooks';
import type { Principal } from '../auth/principal';
import type { Sql } from '../db/sql';
import { resolveDestination } from './destination';
import { WebhookDeliveryStatus } from './webhook.enums';
import {
  endpointExists,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  lockDelivery,
  lockEndpoint,
  markEndpointDisabled,
  replaceSecret,
  requeueDelivery,
} from './webhook.queries';
import type { WebhookDelivery, WebhookEndpoint, WebhookRegistration } from './webhook.types';

/** A new signing secret: "whsec_" and 32 random bytes in base64 (the Standard Webhooks form). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The caller's scopes; MANAGE_WEBHOOKS guarantees both exist. */
function scopes(ctx: RequestContext): { admin: Principal; endpoints: Sql; deliveries: Sql } {
  const admin = authorize(ctx, Permission.MANAGE_WEBHOOKS);
  const endpoints = webhookEndpointScope(admin);
  const deliveries = webhookDeliveryScope(admin);
  if (!endpoints || !deliveries) throw new Error('MANAGE_WEBHOOKS without a webhook scope');
  return { admin, endpoints, deliveries };
}

/** What an endpoint's history and CHANGE events record of it: never its secret. */
const publicFacts = (e: WebhookEndpoint) => ({ url: e.url, events: e.events, description: e.description, enabled: e.enabled });

/**
 * Registers a receiver of the admin's agency's notices of `events`. The destination is checked
 * (and its host resolved) before anything is written: a refused one leaves no row. The secret is
 * returned this once.
 */
export async function registerWebhook(
  ctx: RequestContext,
  input: { url: string; events: readonly NotificationType[]; description?: string | null },
): Promise<WebhookRegistration> {
  const { admin } = scopes(ctx);
  const events = [...new Set(input.events)];
  if (events.length === 0) throw badInput('events must name at least one notice type', 'input.events');
  const url = input.url.trim();
  const destination = await resolveDestination(url, ctx.config.webhooks);
  if ('refused' in destination) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, destination.message, { field: 'input.url', reason: destination.refused });
  }
  const secret = newWebhookSecret();
  return inTransaction(ctx, async (ctx) => {
    const endpoint = await insertEndpoint(ctx.db, {
      agencyId: webhookAgencyOf(admin),
      url: destination.url.href,
      events,
      description: input.description?.trim() ?? '',
      secret,
      createdBy: admin.id,
    });
    await recordChanges(ctx, [
      { kind: 'webhook_endpoint', id: endpoint.id, action: 'registered', before: null, after: publicFacts(endpoint) },
    ]);
    return { endpoint, secret };
  });
}

/** Replaces an endpoint's secret: the old one signs nothing more. Returns the new one, this once. */
export async function rotateWebhookSecret(ctx: RequestContext, id: string): Promise<WebhookRegistration> {
  const { endpoints } = scopes(ctx);
  const secret = newWebhookSecret();
  return inTransaction(ctx, async (ctx) => {
    const before = await lockEndpoint(ctx.db, endpoints, id);
    if (!before) throw notFound('WebhookEndpoint', 'id');
    const endpoint = await replaceSecret(ctx.db, id, secret);
    await recordChanges(ctx, [
      {
        kind: 'webhook_endpoint',
        id,
        action: 'secret_rotated',
        before: { secretIssuedAt: before.secretIssuedAt },
        after: { secretIssuedAt: endpoint.secretIssuedAt },
      },
    ]);
    return { endpoint, secret };
  });
}

/** Disables an endpoint: it is sent nothing more, and its deliveries not yet made are cancelled. */
export async function disableWebhook(ctx: RequestContext, id: string): Promise<WebhookEndpoint> {
  const { endpoints } = scopes(ctx);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockEndpoint(ctx.db, endpoints, id);
    if (!before) throw notFound('WebhookEndpoint', 'id');
    if (!before.enabled) return before;
    const { endpoint, cancelled } = await markEndpointDisabled(ctx.db, id);
    await recordChanges(ctx, [
      { kind: 'webhook_endpoint', id, action: 'disabled', before: publicFacts(before), after: { ...publicFacts(endpoint), cancelled } },
    ]);
    return endpoint;
  });
}

/** The admin's agency's endpoints, newest first. */
export function listWebhookEndpoints(ctx: RequestContext): Promise<WebhookEndpoint[]> {
  return listEndpoints(ctx.db, scopes(ctx).endpoints);
}

/** One of the admin's agency's endpoints' deliveries, newest first; another agency's endpoint is NOT_FOUND. */
export async function listWebhookDeliveries(ctx: RequestContext, endpointId: string, args: PageRequest): Promise<Page<WebhookDelivery>> {
  const { endpoints, deliveries } = scopes(ctx);
  if (!(await endpointExists(ctx.db, endpoints, endpointId))) throw notFound('WebhookEndpoint', 'endpointId');
  return listDeliveries(ctx.db, deliveries, endpointId, args);
}

const REDELIVERABLE: readonly WebhookDeliveryStatus[] = [WebhookDeliveryStatus.DEAD, WebhookDeliveryStatus.FAILED];

/** Queues a dead (or failing) delivery again, for a new round of attempts starting now. */
export async function redeliverWebhook(ctx: RequestContext, deliveryId: string): Promise<WebhookDelivery> {
  const { deliveries } = scopes(ctx);
  return inTransaction(ctx, async (ctx) => {
    const delivery = await lockDelivery(ctx.db, deliveries, deliveryId);
    if (!delivery) throw notFound('WebhookDelivery', 'deliveryId');
    if (!REDELIVERABLE.includes(delivery.status)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `Only DEAD or FAILED deliveries are redelivered; this one is ${delivery.status}`, {
        field: 'deliveryId',
        reason: 'NOT_REDELIVERABLE',
      });
    }
    if (!delivery.endpointEnabled) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'Its endpoint is disabled', { field: 'deliveryId', reason: 'ENDPOINT_DISABLED' });
    }
    const requeued = await requeueDelivery(ctx.db, deliveryId);
    await recordChanges(ctx, [
      {
        kind: 'webhook_delivery',
        id: deliveryId,
        action: 'redelivered',
        before: { status: delivery.status },
        after: { status: requeued.status },
      },
    ]);
    return requeued;
  });
}
