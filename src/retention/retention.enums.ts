/** The kinds of record that are reviewed for retention, as the API names them. */
export enum RetentionRecordKind {
  INTELLIGENCE_REPORT = 'INTELLIGENCE_REPORT',
  SUBJECT = 'SUBJECT',
  FLAG = 'FLAG',
  CRIME = 'CRIME',
}

/** The record kind as history, the audit trail and the database name it. */
export const RECORD_KIND_OF: Record<RetentionRecordKind, 'intelligence_report' | 'subject' | 'flag' | 'crime'> = {
  [RetentionRecordKind.INTELLIGENCE_REPORT]: 'intelligence_report',
  [RetentionRecordKind.SUBJECT]: 'subject',
  [RetentionRecordKind.FLAG]: 'flag',
  [RetentionRecordKind.CRIME]: 'crime',
};

export enum RetentionDecision {
  RETAIN = 'RETAIN',
  DISPOSE = 'DISPOSE',
}
