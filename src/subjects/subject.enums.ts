export enum Gender {
  FEMALE = 'FEMALE',
  MALE = 'MALE',
  OTHER = 'OTHER',
  UNKNOWN = 'UNKNOWN',
}

/** A subject's role in one report: each link carries its own, so one concern cannot swap them. */
export enum SubjectRole {
  POTENTIAL_VICTIM = 'POTENTIAL_VICTIM',
  POTENTIAL_PERPETRATOR = 'POTENTIAL_PERPETRATOR',
  WITNESS = 'WITNESS',
  ASSOCIATE = 'ASSOCIATE',
  REPORTER = 'REPORTER',
}

/** Why an existing subject may be the person described: an identifier, or a similar name with the same date of birth. */
export enum MatchReason {
  IDENTIFIER = 'IDENTIFIER',
  NAME_AND_DATE_OF_BIRTH = 'NAME_AND_DATE_OF_BIRTH',
}
