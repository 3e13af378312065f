export enum FlagKind {
  CSE_RISK = 'CSE_RISK',
  CSE_PERPETRATOR = 'CSE_PERPETRATOR',
}

export enum RiskLevel {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

/**
 * PROPOSED (set by an investigator or analyst) → ACTIVE (approved by a police supervisor, or set by
 * one) → ENDED; or PROPOSED → REJECTED. Flags are never deleted: each state keeps who, when and why.
 */
export enum FlagStatus {
  PROPOSED = 'PROPOSED',
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  ENDED = 'ENDED',
}
