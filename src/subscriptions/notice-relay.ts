import { Client } from 'pg';
import type { Logger } from 'pino';
import { listenForNotices, NOTICES_CHANNEL } from '../notifications/notification.queries';

/** What the fan-out tells every instance at COMMIT: a notice, and the principals whose inbox now holds it. */
export interface DeliveredNotice {
  eventId: string;
  recipientIds: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How the relay's connection shows in pg_stat_activity. */
export const RELAY_APPLICATION_NAME = 'safeshare-notice-relay';
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/** The NOTIFY payload, checked: anything else on the channel is ignored. */
export function parseDelivered(payload: string | undefined): DeliveredNotice | null {
  try {
    const value = JSON.parse(payload ?? '') as Partial<DeliveredNotice>;
    const { eventId, recipientIds } = value;
    if (typeof eventId !== 'string' || !UUID.test(eventId)) return null;
    if (!Array.isArray(recipientIds) || !recipientIds.every((id) => typeof id === 'string' && UUID.test(id))) return null;
    return { eventId: eventId.toLowerCase(), recipientIds: recipientIds.map((id) => id.toLowerCase()) };
  } catch {
    return null;
  }
}

/**
 * Hears of every notice fanned out on any instance: one dedicated connection per instance LISTENs
 * on `safeshare_notices` (NOTIFY reaches every session on the primary, whichever instance's worker
 * committed the fan-out). A lost connection is reopened with backoff; a notice sent while it was
 * down is not pushed, but it is in the inbox (a subscription is a prompt, the inbox the record).
 */
export class NoticeRelay {
  private client?: Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private backoffMs = RECONNECT_MIN_MS;
  private readonly listeners = new Set<(notice: DeliveredNotice) => void>();
  private firstListen?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Starts listening; resolves once the first LISTEN succeeded or failed (a failure retries on its own). */
  start(): Promise<void> {
    this.firstListen ??= this.connect();
    return this.firstListen;
  }

  /** Calls `listener` for each notice delivered; returns the call that stops it. */
  onNotice(listener: (notice: DeliveredNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: RELAY_APPLICATION_NAME });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== NOTICES_CHANNEL) return;
      const notice = parseDelivered(message.payload);
      if (!notice) return;
      for (const listener of this.listeners) listener(notice);
    });
    try {
      await client.connect();
      await listenForNotices(client);
      this.backoffMs = RECONNECT_MIN_MS;
    } catch (err) {
      this.lost(client, err);
    }
  }

  /** The connection is gone (or never came up): drop it and open another after a backoff. */
  private lost(client: Client, err?: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn({ err }, 'notice relay connection lost: reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
  }
}
