import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { Role } from '../policy/roles';
import { UserEntity } from '../users/user.entity';
import { GrantKind, GrantStatus } from './grant.enums';

/**
 * A change of who may do what (a new agency, privileged roles for a user), requested by one
 * administrator and in force only once a different one approves it. Decided once, never deleted.
 */
@Entity('grants')
@Check('CHK_grants_two_people', 'decided_by_id <> requested_by_id')
@Check('CHK_grants_not_own_roles', 'decided_by_id <> user_id')
@Check('CHK_grants_decided', `(status = 'PENDING') = (decided_by_id IS NULL) AND (decided_by_id IS NULL) = (decided_at IS NULL)`)
@Check(
  'CHK_grants_reason',
  `(status = 'REJECTED') = (reason IS NOT NULL) AND (reason IS NULL OR char_length(btrim(reason)) BETWEEN 1 AND 2000)`,
)
@Check(
  'CHK_grants_kind',
  `(kind = 'AGENCY' AND user_id IS NULL AND cardinality(roles) = 0) OR (kind = 'ROLES' AND user_id IS NOT NULL AND cardinality(roles) > 0)`,
)
// One open request per user and one per agency's admission: a second would race the first.
@Index('UQ_grants_pending_user', { synchronize: false })
@Index('UQ_grants_agency', { synchronize: false })
@Index('IDX_grants_pending', ['status', 'requestedAt', 'id'])
@Index('IDX_grants_user', ['userId'])
@Index('IDX_grants_requested_by', ['requestedById'])
export class GrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: GrantKind, enumName: 'grant_kind' })
  kind!: GrantKind;

  @Column({ type: 'enum', enum: GrantStatus, enumName: 'grant_status', default: GrantStatus.PENDING })
  status!: GrantStatus;

  /** The agency admitted (AGENCY) or the user's agency (ROLES). */
  @Column({ type: 'uuid' })
  agencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agency_id' })
  agency?: AgencyEntity;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'enum', enum: Role, enumName: 'role', array: true, default: '{}' })
  roles!: Role[];

  @Column({ type: 'uuid' })
  requestedById!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requested_by_id' })
  requestedBy?: UserEntity;

  /** The requester's agency: another agency's than `agencyId` only when bootstrapping a new one. */
  @Column({ type: 'uuid' })
  requesterAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requester_agency_id' })
  requesterAgency?: AgencyEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ type: 'uuid', nullable: true })
  decidedById!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'decided_by_id' })
  decidedBy?: UserEntity;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** Why it was rejected; required then, absent otherwise. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;
}
