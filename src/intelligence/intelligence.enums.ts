/** Where a piece of intelligence came from (docs/architecture.md, "The records"). */
export enum SourceType {
  PUBLIC = 'PUBLIC',
  POLICE = 'POLICE',
  SOCIAL_CARE = 'SOCIAL_CARE',
  EDUCATION = 'EDUCATION',
  HEALTH = 'HEALTH',
  VOLUNTARY = 'VOLUNTARY',
  OTHER_AGENCY = 'OTHER_AGENCY',
}

export enum Classification {
  OFFICIAL = 'OFFICIAL',
  OFFICIAL_SENSITIVE = 'OFFICIAL_SENSITIVE',
}

/** SUBMITTED → UNDER_ASSESSMENT → ASSESSED → ACTIONED | NO_FURTHER_ACTION */
export enum ReportStatus {
  SUBMITTED = 'SUBMITTED',
  UNDER_ASSESSMENT = 'UNDER_ASSESSMENT',
  ASSESSED = 'ASSESSED',
  ACTIONED = 'ACTIONED',
  NO_FURTHER_ACTION = 'NO_FURTHER_ACTION',
}

/** The statuses each status may move to; anything else is an illegal transition. */
export const STATUS_TRANSITIONS: Record<ReportStatus, readonly ReportStatus[]> = {
  [ReportStatus.SUBMITTED]: [ReportStatus.UNDER_ASSESSMENT, ReportStatus.ASSESSED],
  [ReportStatus.UNDER_ASSESSMENT]: [ReportStatus.ASSESSED],
  [ReportStatus.ASSESSED]: [ReportStatus.ACTIONED, ReportStatus.NO_FURTHER_ACTION],
  [ReportStatus.ACTIONED]: [],
  [ReportStatus.NO_FURTHER_ACTION]: [],
};

/** 3x5x2 grading: source evaluation 1-3. */
export enum SourceEvaluation {
  RELIABLE = 'RELIABLE',
  UNTESTED = 'UNTESTED',
  NOT_RELIABLE = 'NOT_RELIABLE',
}

/** 3x5x2 grading: intelligence assessment A-E. */
export enum IntelligenceAssessment {
  KNOWN_DIRECTLY = 'KNOWN_DIRECTLY',
  KNOWN_INDIRECTLY_CORROBORATED = 'KNOWN_INDIRECTLY_CORROBORATED',
  KNOWN_INDIRECTLY = 'KNOWN_INDIRECTLY',
  NOT_KNOWN = 'NOT_KNOWN',
  SUSPECTED_FALSE = 'SUSPECTED_FALSE',
}

/** 3x5x2 grading: handling code. C means sharing only under the stated conditions. */
export enum HandlingCode {
  P = 'P',
  C = 'C',
}

export enum RiskIndicator {
  MISSING_EPISODES = 'MISSING_EPISODES',
  SCHOOL_ABSENCE = 'SCHOOL_ABSENCE',
  SUBSTANCE_MISUSE = 'SUBSTANCE_MISUSE',
  UNEXPLAINED_GIFTS = 'UNEXPLAINED_GIFTS',
  OLDER_PARTNER = 'OLDER_PARTNER',
  SEXUAL_HEALTH = 'SEXUAL_HEALTH',
  SELF_HARM = 'SELF_HARM',
  FAMILY_ESTRANGEMENT = 'FAMILY_ESTRANGEMENT',
  ONLINE_CONTACT = 'ONLINE_CONTACT',
  RECRUITING_OTHERS = 'RECRUITING_OTHERS',
  TRANSPORTED_BY_ADULTS = 'TRANSPORTED_BY_ADULTS',
}

/** The most submissions one submitIntelligenceBatch may carry. */
export const MAX_BATCH_SUBMISSIONS = 500;
