import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An agency's ADMIN, as the request's principal setting names it (src/policy/webhooks.ts). */
const AGENCY_ADMIN = `(SELECT coalesce(rls_principal() ->> 'kind' = 'USER' AND rls_principal() -> 'roles' ? 'ADMIN', false))`;

/**
 * Signed webhooks (docs/notifications.md, "Webhooks").
 *
 * - `webhook_endpoints`: an agency's registered receivers: where, for which notice types, and the
 *   signing secret (one at a time: rotating replaces it). Never deleted: a disabled endpoint keeps
 *   its delivery log.
 * - `webhook_deliveries`: one row per notice per endpoint, written by the fan-out in the notice's
 *   own transaction with its job; its id is the `webhook-id` header. Outcomes only: a status code,
 *   a short error, timings; never a response body.
 *
 * Row security: the workers (system context) read and write all; an agency's ADMIN reads and
 * manages its own agency's endpoints and their deliveries, as policy/webhooks.ts scopes them.
 */
export class Webhooks1766800000100 implements MigrationInterface {
  name = 'Webhooks1766800000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid NOT NULL REFERENCES agencies (id),
        url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
        secret text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]{40,100}$'),
        secret_issued_at timestamptz NOT NULL DEFAULT now(),
        enabled boolean NOT NULL DEFAULT true,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz,
        CONSTRAINT chk_webhook_endpoints_disabled CHECK (enabled = (disabled_at IS NULL))
      )`);
    // The fan-out looks up an agency's enabled endpoints for every notice.
    await q.query(`CREATE INDEX idx_webhook_endpoints_agency ON webhook_endpoints (agency_id) WHERE enabled`);
    await q.query(`CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
        event_id uuid NOT NULL REFERENCES notification_events (id),
        -- The notice's type, for the log: the notice itself is the workers' to read.
        type text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'DEAD', 'CANCELLED')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        -- Attempts made before the latest redelivery: each redelivery gets a full round of retries.
        round_start integer NOT NULL DEFAULT 0 CHECK (round_start >= 0 AND round_start <= attempts),
        -- The one job that may make the next attempt; a stale job (superseded by a redelivery) does nothing.
        job_token uuid,
        last_status_code integer,
        last_error text CHECK (length(last_error) <= 200),
        latency_ms integer,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id)
      )`);
    // The delivery log is read newest first per endpoint.
    await q.query(`CREATE INDEX idx_webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_event ON webhook_deliveries (event_id)`);

    await q.query(`ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY webhook_endpoints_system ON webhook_endpoints USING (rls_system()) WITH CHECK (rls_system())`);
    await q.query(`CREATE POLICY webhook_endpoints_admin ON webhook_endpoints
        USING (agency_id = (SELECT rls_agency()) AND ${AGENCY_ADMIN})
        WITH CHECK (agency_id = (SELECT rls_agency()) AND ${AGENCY_ADMIN})`);
    await q.query(`ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY webhook_deliveries_system ON webhook_deliveries USING (rls_system()) WITH CHECK (rls_system())`);
    // The endpoints subquery is itself under the admin policy above: its own agency's only.
    const ownEndpoint = `endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.agency_id = (SELECT rls_agency())) AND ${AGENCY_ADMIN}`;
    await q.query(`CREATE POLICY webhook_deliveries_admin_read ON webhook_deliveries FOR SELECT USING (${ownEndpoint})`);
    await q.query(`CREATE POLICY webhook_deliveries_admin_update ON webhook_deliveries FOR UPDATE
        USING (${ownEndpoint}) WITH CHECK (${ownEndpoint})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
