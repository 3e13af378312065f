/** Whether an agency is in use: a new one waits for a second OVERSIGHT administrator's approval. */
export enum AgencyStatus {
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  ACTIVE = 'ACTIVE',
}
