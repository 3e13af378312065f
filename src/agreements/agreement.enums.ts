/** Where an agreement stands: only an ACTIVE one, in force on the day, can be cited by a disclosure. */
export enum AgreementStatus {
  DRAFT = 'DRAFT',
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  ENDED = 'ENDED',
}

/** The kinds of information an agreement lets its parties share. */
export enum SharedDataCategory {
  INTELLIGENCE_SUMMARY = 'INTELLIGENCE_SUMMARY',
  SUBJECT_IDENTITY = 'SUBJECT_IDENTITY',
  RISK_FLAGS = 'RISK_FLAGS',
  CRIME_DETAILS = 'CRIME_DETAILS',
  INVOLVEMENTS = 'INVOLVEMENTS',
  HEALTH = 'HEALTH',
  EDUCATION = 'EDUCATION',
  SOCIAL_CARE = 'SOCIAL_CARE',
}

/**
 * The status changes an agreement may make: a DRAFT starts (ACTIVE) or is abandoned (ENDED); an
 * ACTIVE one is suspended or ended; a SUSPENDED one resumes or ends. ENDED is final.
 */
export const AGREEMENT_TRANSITIONS: Record<AgreementStatus, readonly AgreementStatus[]> = {
  [AgreementStatus.DRAFT]: [AgreementStatus.ACTIVE, AgreementStatus.ENDED],
  [AgreementStatus.ACTIVE]: [AgreementStatus.SUSPENDED, AgreementStatus.ENDED],
  [AgreementStatus.SUSPENDED]: [AgreementStatus.ACTIVE, AgreementStatus.ENDED],
  [AgreementStatus.ENDED]: [],
};
