import type { MigrationInterface } from 'typeorm';
import { IdentitySchema1764342000000 } from './1764342000000-identity-schema';
import { RecordCore1764400000000 } from './1764400000000-record-core';
import { AgencyNameCase1764480000000 } from './1764480000000-agency-name-case';
import { RecordCoreFixes1764500000000 } from './1764500000000-record-core-fixes';
import { LawfulDisclosure1764600000000 } from './1764600000000-lawful-disclosure';
import { FlagApproval1764700000000 } from './1764700000000-flag-approval';
import { AuditTrail1764800000000 } from './1764800000000-audit-trail';
import { AccountSafety1765100000000 } from './1765100000000-account-safety';
import { RollupDeltas1765300000000 } from './1765300000000-rollup-deltas';
import { Statistics1764900000000 } from './1764900000000-statistics';
import { StatisticsMonthly1764900000001 } from './1764900000001-statistics-monthly';
import { FlagStatistics1765400000000 } from './1765400000000-flag-statistics';
import { FlagStatisticsLocks1765460000000 } from './1765460000000-flag-statistics-locks';
import { SignInRefusals1766100000000 } from './1766100000000-sign-in-refusals';
import { SearchIndexes1765450000000 } from './1765450000000-search-indexes';
import { SeparationOfDuties1766400000000 } from './1766400000000-separation-of-duties';
import { AuditTrailIdentity1766500000000 } from './1766500000000-audit-trail-identity';
import { RowSecurity1766600000000 } from './1766600000000-row-security';
import { KnownSubjects1766700000000 } from './1766700000000-known-subjects';
import { PushSharing1766800000000 } from './1766800000000-push-sharing';
import { Webhooks1766800000100 } from './1766800000100-webhooks';
import { Deadlines1766800000200 } from './1766800000200-deadlines';
import { Console1766900000000 } from './1766900000000-console';
import { AuditWritePlans1767000000000 } from './1767000000000-audit-write-plans';
import { AccountLifecycle1767000000100 } from './1767000000100-account-lifecycle';
import { LawfulRecords1767000000200 } from './1767000000200-lawful-records';
import { PartnerApps1767000000300 } from './1767000000300-partner-apps';
import { SecondFactor1767000000400 } from './1767000000400-second-factor';

/** Every migration, in order. Landed migrations are never edited: add a new one. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  IdentitySchema1764342000000,
  RecordCore1764400000000,
  AgencyNameCase1764480000000,
  RecordCoreFixes1764500000000,
  LawfulDisclosure1764600000000,
  FlagApproval1764700000000,
  AuditTrail1764800000000,
  Statistics1764900000000,
  StatisticsMonthly1764900000001,
  AccountSafety1765100000000,
  RollupDeltas1765300000000,
  FlagStatistics1765400000000,
  SearchIndexes1765450000000,
  FlagStatisticsLocks1765460000000,
  SignInRefusals1766100000000,
  SeparationOfDuties1766400000000,
  AuditTrailIdentity1766500000000,
  RowSecurity1766600000000,
  KnownSubjects1766700000000,
  PushSharing1766800000000,
  Webhooks1766800000100,
  Deadlines1766800000200,
  Console1766900000000,
  AuditWritePlans1767000000000,
  AccountLifecycle1767000000100,
  LawfulRecords1767000000200,
  PartnerApps1767000000300,
  SecondFactor1767000000400,
];
