import { AgencyEntity } from '../agencies/agency.entity';
import { DivisionEntity } from '../agencies/division.entity';
import { RefreshTokenEntity } from '../auth/refresh-token.entity';
import { AuthSessionEntity } from '../auth/session.entity';
import { ServiceAccountEntity } from '../users/service-account.entity';
import { UserEntity } from '../users/user.entity';

/** Every persisted entity; the migrations must agree with these (a test compares them). */
export const ENTITIES = [DivisionEntity, AgencyEntity, UserEntity, ServiceAccountEntity, AuthSessionEntity, RefreshTokenEntity];
