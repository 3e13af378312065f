/** Why access was flagged as unusual (see `findAnomalies`). */
export enum AnomalyKind {
  ABOVE_OWN_NORM = 'ABOVE_OWN_NORM',
  ABOVE_ROLE_NORM = 'ABOVE_ROLE_NORM',
  BREAK_GLASS = 'BREAK_GLASS',
  AFTER_HOURS_BULK = 'AFTER_HOURS_BULK',
  /** An administrator's ADMIN role approved, then a privileged role requested by them soon after. */
  GRANT_CHAIN = 'GRANT_CHAIN',
}
