import { AgencyEntity } from '../agencies/agency.entity';
import { UserEntity } from '../users/user.entity';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SubjectEntity } from '../subjects/subject.entity';
import { FlagKind, FlagStatus, RiskLevel } from './flag.enums';

/**
 * A CSE flag on a subject. Never deleted: approving, rejecting and ending one record who, when and
 * why. A flag set by a police supervisor is active at once and has no approval.
 */
@Entity('flags')
@Check('CHK_flags_reason', `char_length(btrim(reason)) > 0`)
@Check('CHK_flags_ended', `(status = 'ENDED') = (ended_at IS NOT NULL AND ended_by_user_id IS NOT NULL AND end_reason IS NOT NULL)`)
@Check(
  'CHK_flags_approved',
  `(approved_at IS NULL) = (approved_by_user_id IS NULL) AND (approved_at IS NULL OR (status IN ('ACTIVE', 'ENDED') AND approved_at >= set_at AND approved_by_user_id <> set_by_user_id))`,
)
@Check(
  'CHK_flags_rejected',
  `(status = 'REJECTED') = (rejected_at IS NOT NULL AND rejected_by_user_id IS NOT NULL AND rejection_reason IS NOT NULL) AND (rejected_at IS NULL OR rejected_at >= set_at)`,
)
@Check('CHK_flags_rejection_reason', `char_length(btrim(rejection_reason)) > 0`)
// At most one open (PROPOSED or ACTIVE) flag of each kind per subject; maintained by migration SQL.
@Index('IDX_flags_one_open', { synchronize: false })
@Index('IDX_flags_subject', ['subjectId', 'setAt'])
export class FlagEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'enum', enum: FlagKind, enumName: 'flag_kind' })
  kind!: FlagKind;

  @Column({ type: 'enum', enum: RiskLevel, enumName: 'risk_level' })
  riskLevel!: RiskLevel;

  @Column({ type: 'enum', enum: FlagStatus, enumName: 'flag_status', default: FlagStatus.ACTIVE })
  status!: FlagStatus;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'date', nullable: true })
  reviewDate!: string | null;

  @Column({ type: 'uuid' })
  setByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'set_by_user_id' })
  setByUser?: UserEntity;

  @Column({ type: 'uuid' })
  setByAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'set_by_agency_id' })
  setByAgency?: AgencyEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  setAt!: Date;

  /** Set when a supervisor approved a proposed flag; null for one active when set. */
  @Column({ type: 'timestamptz', nullable: true })
  approvedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  approvedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'approved_by_user_id' })
  approvedByUser?: UserEntity;

  @Column({ type: 'timestamptz', nullable: true })
  rejectedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  rejectedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'rejected_by_user_id' })
  rejectedByUser?: UserEntity;

  @Column({ type: 'text', nullable: true })
  rejectionReason!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  endedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'ended_by_user_id' })
  endedByUser?: UserEntity;

  @Column({ type: 'text', nullable: true })
  endReason!: string | null;

  /** When its retention review disposed of it (docs/lawful-sharing.md): its case content is gone and it is NOT_FOUND everywhere. */
  @Column({ type: 'timestamptz', nullable: true })
  disposedAt!: Date | null;
}
