/** Where a delivery stands (docs/notifications.md, "The delivery log"). */
export enum WebhookDeliveryStatus {
  /** Queued, not yet attempted (or requeued by redeliverWebhook). */
  PENDING = 'PENDING',
  /** A 2xx answer. */
  DELIVERED = 'DELIVERED',
  /** The last attempt failed; another is scheduled (`nextAttemptAt`). */
  FAILED = 'FAILED',
  /** Every attempt of its round failed: nothing more is tried until it is redelivered. */
  DEAD = 'DEAD',
  /** Its endpoint was disabled before it was delivered: never sent. */
  CANCELLED = 'CANCELLED',
}
