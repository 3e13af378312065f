import { AgencyEntity } from '../agencies/agency.entity';
import { DivisionEntity } from '../agencies/division.entity';
import { RefreshTokenEntity } from '../auth/refresh-token.entity';
import { AuthSessionEntity } from '../auth/session.entity';
import { SignInThrottleEntity } from '../auth/sign-in-throttle.entity';
import { ServiceAccountEntity } from '../users/service-account.entity';
import { UserEntity } from '../users/user.entity';
import { CrimeEntity, CrimeSubjectEntity } from '../crimes/crime.entity';
import { FlagEntity } from '../flags/flag.entity';
import { RecordHistoryEntity } from '../history/record-history.entity';
import { InformantEntity } from '../intelligence/informant.entity';
import { IntelligenceReportEntity } from '../intelligence/intelligence-report.entity';
import { ReportSubjectEntity } from '../subjects/report-subject.entity';
import { SubjectEntity } from '../subjects/subject.entity';
import { InvolvementEntity } from '../involvements/involvement.entity';
import { AccessRequestEntity } from '../disclosures/access-request.entity';
import { DisclosureDeclineEntity, DisclosureEntity } from '../disclosures/disclosure.entity';
import { BreakGlassGrantEntity } from '../break-glass/break-glass.entity';
import { GrantEntity } from '../grants/grant.entity';
import { AgreementEntity } from '../agreements/agreement.entity';

/** Every persisted entity; the migrations must agree with these (a test compares them). */
export const ENTITIES = [
  DivisionEntity,
  AgencyEntity,
  UserEntity,
  ServiceAccountEntity,
  AuthSessionEntity,
  RefreshTokenEntity,
  SignInThrottleEntity,
  IntelligenceReportEntity,
  InformantEntity,
  SubjectEntity,
  ReportSubjectEntity,
  FlagEntity,
  CrimeEntity,
  CrimeSubjectEntity,
  RecordHistoryEntity,
  InvolvementEntity,
  AccessRequestEntity,
  DisclosureEntity,
  AgreementEntity,
  DisclosureDeclineEntity,
  BreakGlassGrantEntity,
  GrantEntity,
];
