/** What a grant brings into force: a new agency, or roles for a user. */
export enum GrantKind {
  AGENCY = 'AGENCY',
  ROLES = 'ROLES',
}

export enum GrantStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
