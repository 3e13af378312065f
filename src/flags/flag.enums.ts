export enum FlagKind {
  CSE_RISK = 'CSE_RISK',
  CSE_PERPETRATOR = 'CSE_PERPETRATOR',
}

export enum RiskLevel {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

/** Flags are never deleted: an ended flag stays, with who ended it and why. */
export enum FlagStatus {
  ACTIVE = 'ACTIVE',
  ENDED = 'ENDED',
}
