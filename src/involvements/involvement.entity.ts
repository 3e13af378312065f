import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { SubjectEntity } from '../subjects/subject.entity';
import { UserEntity } from '../users/user.entity';
import { InvolvementKind, LawfulBasis } from './involvement.enums';

/**
 * An agency's registered involvement with a subject (a pupil on roll, an open case), with its lawful
 * basis. While it is active (not ended) the subject is known to the agency. Never deleted: ended.
 */
@Entity('involvements')
@Check('CHK_involvements_contact', `char_length(btrim(contact)) BETWEEN 1 AND 200`)
@Check('CHK_involvements_ended', `(ended_at IS NULL) = (ended_by_user_id IS NULL) AND (ended_at IS NULL) = (end_reason IS NULL)`)
@Check('CHK_involvements_end_reason', `char_length(btrim(end_reason)) > 0`)
@Check('CHK_involvements_ended_after', `ended_at IS NULL OR ended_at >= registered_at`)
// One active involvement of each kind per agency and subject; maintained by migration SQL (partial).
@Index('IDX_involvements_one_active', { synchronize: false })
// The "known to" scope: an agency's active involvements with a subject.
@Index('IDX_involvements_scope', { synchronize: false })
@Index('IDX_involvements_registered', ['registeredAt', 'id'])
export class InvolvementEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'uuid' })
  agencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agency_id' })
  agency?: AgencyEntity;

  @Column({ type: 'enum', enum: InvolvementKind, enumName: 'involvement_kind' })
  kind!: InvolvementKind;

  @Column({ type: 'enum', enum: LawfulBasis, enumName: 'lawful_basis' })
  lawfulBasis!: LawfulBasis;

  /** Who to contact at the agency about this subject: shown to every agency that may read the subject. */
  @Column({ type: 'text' })
  contact!: string;

  @Column({ type: 'uuid' })
  registeredByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'registered_by_user_id' })
  registeredByUser?: UserEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  registeredAt!: Date;

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
