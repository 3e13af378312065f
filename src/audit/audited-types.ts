/**
 * The GraphQL object types that carry case records, with the record kind their audit events name.
 * Any object of these types whose fields reach a caller is recorded in the request's audit event
 * (kind, id, fields returned, fields redacted). A new record type must be added here; a test walks
 * the schema and fails for an object type with an `id` that is neither here nor in NOT_CASE_RECORDS.
 */
export const AUDITED_TYPES: Record<string, string> = {
  IntelligenceReport: 'intelligence_report',
  Subject: 'subject',
  Flag: 'flag',
  Crime: 'crime',
  Involvement: 'involvement',
  Disclosure: 'disclosure',
  DisclosureDecision: 'disclosure_decision',
  AccessRequest: 'access_request',
  BreakGlassGrant: 'break_glass_grant',
  Grant: 'grant',
  Notification: 'notification',
  WebhookEndpoint: 'webhook_endpoint',
  WebhookDelivery: 'webhook_delivery',
  InformationSharingAgreement: 'agreement',
  RetentionDecisionRecord: 'retention_decision',
  // A queue entry names a report, subject, flag or crime (its recordKind says which).
  RetentionReview: 'retention_review',
};

/** Object types with an `id` that are not case content (reference data, identities). */
export const NOT_CASE_RECORDS = new Set([
  'Agency',
  'Division',
  'Principal',
  'User',
  'AuthSession',
  'PartnerApp',
  'AuditEvent',
  'StaffMember',
]);
