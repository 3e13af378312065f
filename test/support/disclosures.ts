import type { TestApp } from './test-app';

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
  for (const { node } of reports.body.data!.intelligenceReports.edges) {
    const r = await app.gql<{ discloseIntelligence: { id: string } }>(
      'mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id } }',
      {
        i: {
          reportId: node.id,
          recipientAgencyId,
          gateway: 'CHILDREN_ACT_2004_S11',
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
