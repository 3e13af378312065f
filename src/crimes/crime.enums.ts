export enum CrimeRole {
  VICTIM = 'VICTIM',
  SUSPECT = 'SUSPECT',
}
