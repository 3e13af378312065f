/** Why an agency is working with a subject. */
export enum InvolvementKind {
  /** A pupil on the school's roll. */
  PUPIL_ON_ROLL = 'PUPIL_ON_ROLL',
  /** An open children's social care case. */
  OPEN_CASE = 'OPEN_CASE',
  /** A patient in the health body's care. */
  PATIENT = 'PATIENT',
  /** A young person the voluntary group supports. */
  SUPPORTED = 'SUPPORTED',
}

/** The lawful basis (UK GDPR article 6) on which the agency holds the involvement. */
export enum LawfulBasis {
  PUBLIC_TASK = 'PUBLIC_TASK',
  LEGAL_OBLIGATION = 'LEGAL_OBLIGATION',
  VITAL_INTERESTS = 'VITAL_INTERESTS',
  CONSENT = 'CONSENT',
}
