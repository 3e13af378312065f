import { AgencyEntity } from '../agencies/agency.entity';
import { UserEntity } from '../users/user.entity';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SubjectEntity } from '../subjects/subject.entity';
import { FlagKind, FlagStatus, RiskLevel } from './flag.enums';

/** A CSE flag on a subject. Never deleted: ending one records who, when and why. */
@Entity('flags')
@Check('CHK_flags_reason', `char_length(btrim(reason)) > 0`)
@Check('CHK_flags_ended', `(status = 'ENDED') = (ended_at IS NOT NULL AND ended_by_user_id IS NOT NULL AND end_reason IS NOT NULL)`)
// One active flag of each kind per subject; maintained by migration SQL.
@Index('IDX_flags_one_active', { synchronize: false })
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

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  endedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'ended_by_user_id' })
  endedByUser?: UserEntity;

  @Column({ type: 'text', nullable: true })
  endReason!: string | null;
}
