import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { discloseAnyReport } from '../support/disclosures';
import { startTestApp, type TestApp } from '../support/test-app';

// The outbox across instances (docs/scaling.md, "Single runners"): three instances' push workers on
// one database, and every webhook delivery reaches a real loopback receiver once.

const received: string[] = [];
let receiver: http.Server;
let receiverUrl: string;
const apps: TestApp[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['webhook-id']));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const env = { PUSH_WORKERS: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', ACCESS_NOTICE_SCAN_INTERVAL_MS: '200' };
  apps.push(await startTestApp(env));
  apps.push(await startTestApp(env, apps[0]), await startTestApp(env, apps[0]));
}, 60_000);

afterAll(async () => {
  for (const app of apps.reverse()) await app.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

it('delivers each notice to a webhook once while three instances run the workers', async () => {
  const [first, second, third] = apps;
  const admin = (await second.login('admin@brookfield-high.example')).accessToken;
  const r = await second.gql<{ registerWebhook: { endpoint: { id: string } } }>(
    `mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { endpoint { id } } }`,
    { i: { url: `${receiverUrl}/once`, events: ['DISCLOSURE_RECEIVED'], description: 'Synthetic receiver' } },
    admin,
  );
  expect(r.body.errors).toBeUndefined();
  const supervisor = (await third.login('supervisor@gmp.example')).accessToken;
  const [{ id: school }] = (await first.ownerQuery(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`)) as { id: string }[];
  const disclosures = 6;
  for (let i = 0; i < disclosures; i++) await discloseAnyReport(apps[i % 3], supervisor, school, `SYNTHETIC-SUMMARY-once-${i}`);

  const deadline = Date.now() + 20_000;
  while (new Set(received).size < disclosures && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  // Time for a second delivery of any of them, were there to be one.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(new Set(received).size).toBe(disclosures);
  expect(received).toHaveLength(disclosures);
  // One audited attempt per delivery, whichever instance's worker made it.
  const audited = (await first.ownerQuery(
    `SELECT details->>'deliveryId' AS delivery FROM audit_events WHERE action = 'DELIVER' AND details->>'endpointId' = $1`,
    [r.body.data!.registerWebhook.endpoint.id],
  )) as { delivery: string }[];
  expect(audited.map((a) => a.delivery).sort()).toEqual([...received].sort());
});
