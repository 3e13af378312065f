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
