import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { AuditAction, AuditOutcome, serviceWorkActor } from '../audit/audit-event';
import { writeAuditEvents } from '../audit/audit.writer';
import type { WebhookConfig } from '../config';
import { withSystemContext } from '../db/row-security';
import { type Destination, resolveDestination } from './destination';
import { isLastAttempt, retryDelayMs } from './retry';
import { WebhookDeliveryStatus } from './webhook.enums';
import { type AttemptOutcome, cancelDelivery, type ClaimedDelivery, claimDelivery, DELIVER_TASK, recordAttempt } from './webhook.queries';

/**
 * The body of a delivery: what the notice says, and nothing of the record it names (the receiver
 * fetches that through the API, under its own permissions).
 */
export function webhookBody(
  d: Pick<ClaimedDelivery, 'type' | 'event_id' | 'occurred_at' | 'record_kind' | 'record_id' | 'subject_id'>,
): string {
  return JSON.stringify({
    type: d.type,
    id: d.event_id,
    occurredAt: new Date(d.occurred_at).toISOString(),
    data: { recordKind: d.record_kind, recordId: d.record_id, subjectId: d.subject_id },
  });
}

/** The Standard Webhooks headers for one attempt: its id (the delivery's), time and signature. */
export function signedHeaders(secret: string, deliveryId: string, body: string, at: Date): Record<string, string> {
  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(deliveryId, at, body),
  };
}

/** What one POST came to: the status, or why there was none; never the body. */
interface Answer {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

const MAX_ERROR = 200;
const short = (text: string) => (text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text);

/**
 * POSTs `body` to the destination, connecting only to its checked address (the lookup is pinned to
 * it; TLS still verifies the certificate against the URL's host). No redirects are followed, no
 * connection is reused, and the answer's body is read and dropped.
 */
export function post(destination: Destination, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Answer> {
  const { url, address, family } = destination;
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    // Started first; it runs only after the request below exists.
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${timeoutMs} ms` });
      request.destroy();
    }, timeoutMs);
    const finish = (answer: Omit<Answer, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, latencyMs: Date.now() - started });
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Safeshare-Webhooks/1',
        },
      },
      (response) => {
        response.resume();
        finish({ statusCode: response.statusCode ?? null, error: null });
        response.on('error', () => undefined);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => finish({ statusCode: null, error: short(error.code ?? error.message) }));
    request.end(body);
  });
}

/**
 * One attempt of one delivery (the `deliver_webhook` job): claim it (a stale job does nothing),
 * check its destination again, POST, and record the outcome, its next attempt's job (with full
 * jitter back-off) or its death, and the attempt's audit event, in one transaction.
 */
export async function deliverWebhook(
  db: DataSource,
  config: WebhookConfig,
  deliveryId: string,
  token: string,
  jobId: string | null,
): Promise<void> {
  const claimed = await withSystemContext(db, async (tx) => {
    const delivery = await claimDelivery(tx, deliveryId, token);
    if (delivery && !delivery.enabled) {
      await cancelDelivery(tx, deliveryId);
      return null;
    }
    return delivery;
  });
  if (!claimed) return;

  const destination = await resolveDestination(claimed.url, config);
  let answer: Answer;
  if ('refused' in destination) answer = { statusCode: null, error: short(`${destination.refused}: ${destination.message}`), latencyMs: 0 };
  else {
    const body = webhookBody(claimed);
    answer = await post(destination, signedHeaders(claimed.secret, claimed.id, body, new Date()), body, config.timeoutMs);
  }

  const attempt = claimed.attempts + 1;
  const ok = answer.statusCode !== null && answer.statusCode >= 200 && answer.statusCode < 300;
  const dead = !ok && isLastAttempt(attempt, claimed.round_start, config.maxAttempts);
  const outcome: AttemptOutcome = {
    status: ok ? WebhookDeliveryStatus.DELIVERED : dead ? WebhookDeliveryStatus.DEAD : WebhookDeliveryStatus.FAILED,
    statusCode: answer.statusCode,
    error: ok ? null : (answer.error ?? `HTTP ${answer.statusCode}`),
    latencyMs: answer.latencyMs,
    nextAttemptAt: ok || dead ? null : new Date(Date.now() + retryDelayMs(attempt, config.retryBaseMs, config.retryMaxMs)),
  };
  await withSystemContext(db, async (tx) => {
    const current = await recordAttempt(tx, claimed.id, claimed.token, outcome);
    await writeAuditEvents(tx, serviceWorkActor(DELIVER_TASK, jobId), [
      {
        action: AuditAction.DELIVER,
        outcome: ok ? AuditOutcome.ALLOWED : AuditOutcome.FAILED,
        reason: outcome.error,
        recordKind: 'notification',
        records: [{ kind: 'notification', id: claimed.event_id }],
        details: {
          deliveryId: claimed.id,
          endpointId: claimed.endpoint_id,
          agencyId: claimed.agency_id,
          type: claimed.type,
          attempt,
          status: current ? outcome.status : 'SUPERSEDED',
          statusCode: outcome.statusCode,
          latencyMs: outcome.latencyMs,
          nextAttemptAt: outcome.nextAttemptAt?.toISOString() ?? null,
        },
      },
    ]);
  });
}
