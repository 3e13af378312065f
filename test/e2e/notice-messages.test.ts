import { randomUUID } from 'node:crypto';
import { Client, type Notification } from 'pg';
import { withSystemContext } from '../../src/db/row-security';
import { markFannedOut, NOTICES_CHANNEL, RECIPIENTS_PER_MESSAGE } from '../../src/notifications/notification.queries';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * A notice for hundreds of principals (force-wide: every police supervisor) still reaches every
 * instance: PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more, so the recipients travel in
 * several messages, and together they name each recipient once.
 */
let app: TestApp;
let listener: Client;
const heard: Notification[] = [];

beforeAll(async () => {
  app = await startTestApp();
  listener = new Client({ connectionString: app.databaseUrl });
  await listener.connect();
  listener.on('notification', (n) => heard.push(n));
  await listener.query(`LISTEN ${NOTICES_CHANNEL}`);
}, 60_000);

afterAll(async () => {
  await listener?.end();
  await app?.close();
});

async function fanOut(recipients: number) {
  heard.length = 0;
  const ids = Array.from({ length: recipients }, () => randomUUID());
  const [{ id }] = (await app.ownerQuery(
    `INSERT INTO notification_events (type, record_kind, record_id) VALUES ('BREAK_GLASS_USED', 'break_glass_grant', gen_random_uuid()) RETURNING id`,
  )) as { id: string }[];
  await withSystemContext(app.db, (tx) => markFannedOut(tx, id, ids));
  const messages = Math.max(1, Math.ceil(recipients / RECIPIENTS_PER_MESSAGE));
  for (let i = 0; i < 100 && heard.length < messages; i++) await new Promise((r) => setTimeout(r, 50));
  return { id, ids, messages };
}

it.each([0, 1, RECIPIENTS_PER_MESSAGE, RECIPIENTS_PER_MESSAGE + 1, 450])(
  'names each of %i recipients once, in messages under the limit',
  async (n) => {
    const { id, ids, messages } = await fanOut(n);
    expect(heard).toHaveLength(messages);
    const payloads = heard.map((m) => JSON.parse(m.payload!) as { eventId: string; recipientIds: string[] });
    for (const m of heard) expect(Buffer.byteLength(m.payload!)).toBeLessThan(8000);
    expect(new Set(payloads.map((p) => p.eventId))).toEqual(new Set([id]));
    expect(payloads.flatMap((p) => p.recipientIds).sort()).toEqual([...ids].sort());
  },
);
