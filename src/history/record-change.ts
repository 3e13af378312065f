/** A change to one record, as its history and its CHANGE audit event record it. */
export type RecordKind =
  | 'intelligence_report'
  | 'subject'
  | 'flag'
  | 'crime'
  | 'involvement'
  | 'disclosure'
  | 'disclosure_decision'
  | 'access_request'
  | 'break_glass_grant'
  | 'agency'
  | 'user'
  | 'service_account'
  | 'auth_session'
  | 'grant'
  | 'notification'
  | 'webhook_endpoint'
  | 'webhook_delivery'
  | 'access_anomaly_review'
  | 'agreement'
  | 'retention_decision';

export interface RecordChange {
  kind: RecordKind;
  id: string;
  action: string;
  before: object | null;
  after: object | null;
}
