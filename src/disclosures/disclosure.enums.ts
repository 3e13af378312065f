/** The legal gateway under which police share intelligence with another agency. */
export enum LegalGateway {
  CHILDREN_ACT_1989_S47 = 'CHILDREN_ACT_1989_S47',
  CHILDREN_ACT_1989_S17 = 'CHILDREN_ACT_1989_S17',
  CHILDREN_ACT_2004_S11 = 'CHILDREN_ACT_2004_S11',
  CRIME_AND_DISORDER_ACT_1998_S115 = 'CRIME_AND_DISORDER_ACT_1998_S115',
  DPA_2018_SCH8_SAFEGUARDING = 'DPA_2018_SCH8_SAFEGUARDING',
  CONSENT = 'CONSENT',
}

/** A disclosure's state as of now: computed from its expiry and revocation, never stored. */
export enum DisclosureStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}

/** PENDING until a police supervisor discloses (DISCLOSED) or declines (DECLINED). */
export enum AccessRequestStatus {
  PENDING = 'PENDING',
  DISCLOSED = 'DISCLOSED',
  DECLINED = 'DECLINED',
}

/** How soon an access request needs its answer: RED within hours, AMBER within a day, GREEN within days (config `deadlines.dueHours`). */
export enum Urgency {
  RED = 'RED',
  AMBER = 'AMBER',
  GREEN = 'GREEN',
}
