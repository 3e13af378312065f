/** The kinds of agency that share through Safeshare (docs/architecture.md, "The records"). */
export enum AgencyKind {
  POLICE = 'POLICE',
  SOCIAL_CARE = 'SOCIAL_CARE',
  EDUCATION = 'EDUCATION',
  HEALTH = 'HEALTH',
  VOLUNTARY = 'VOLUNTARY',
  OVERSIGHT = 'OVERSIGHT',
}
