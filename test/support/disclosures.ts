import type { TestApp } from './test-app';

/** The demo's partnership agreement (demo-seed.ts DEMO_AGREEMENTS): ACTIVE, every demo agency but oversight a party, every gateway. */
export const DEMO_AGREEMENT_REFERENCE = 'ISA-GM-CSE-2012';

/** The id of the demo's partnership agreement, which the tests' disclosures cite. */
export async function demoAgreementId(app: TestApp): Promise<string> {
  const [row] = (await app.ownerQuery(`SELECT id FROM information_sharing_agreements WHERE reference = $1`, [
    DEMO_AGREEMENT_REFERENCE,
  ])) as {
    id: string;
  }[];
  if (!row) throw new Error('the demo agreement is not seeded');
  return row.id;
}

/**
 * A police supervisor (its token given) discloses a report to `recipientAgencyId`: the first of the
 * newest 40 it may disclose. Returns the disclosure's id. The notices tests start from this act.
 */
export async function discloseAnyReport(
  app: TestApp,
  supervisorToken: string,
  recipientAgencyId: string,
  summary: string,
): Promise<string> {
  const reports = await app.gql<{ intelligenceReports: { edges: { node: { id: string } }[] } }>(
    '{ intelligenceReports(first: 40) { edges { node { id } } } }',
    {},
    supervisorToken,
  );
  const agreementId = await demoAgreementId(app);
  for (const { node } of reports.body.data!.intelligenceReports.edges) {
    const r = await app.gql<{ discloseIntelligence: { id: string } }>(
      'mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id } }',
      {
        i: {
          reportId: node.id,
          recipientAgencyId,
          gateway: 'CHILDREN_ACT_2004_S11',
          agreementId,
          purpose: 'Safeguarding a pupil',
          summary,
          conditions: 'Designated safeguarding lead only',
          expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
          acknowledgeSensitive: true,
        },
      },
      supervisorToken,
    );
    if (r.body.data?.discloseIntelligence) return r.body.data.discloseIntelligence.id;
  }
  throw new Error('no report could be disclosed');
}
