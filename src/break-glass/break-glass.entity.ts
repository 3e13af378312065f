import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { SubjectEntity } from '../subjects/subject.entity';
import { UserEntity } from '../users/user.entity';

/**
 * Emergency access: one user reads one subject and its reports outside their normal scope until
 * `expires_at`. Every grant awaits an audit review (`reviewed_at`).
 */
@Entity('break_glass_grants')
@Check('CHK_break_glass_reason', `char_length(btrim(reason)) BETWEEN 1 AND 2000`)
@Check('CHK_break_glass_expiry', `expires_at > granted_at AND expires_at <= granted_at + interval '4 hours'`)
@Check('CHK_break_glass_reviewed', `(reviewed_at IS NULL) = (reviewed_by_user_id IS NULL)`)
// The scope check: a user's unexpired grants on a subject.
@Index('IDX_break_glass_scope', ['userId', 'subjectId', 'expiresAt'])
@Index('IDX_break_glass_granted', ['grantedAt', 'id'])
// Reviews: outcome and note with the reviewer (migrations/1766900000000-console.ts); the review queue.
@Check(
  'chk_break_glass_review_outcome',
  `(reviewed_at IS NULL) = (review_outcome IS NULL) AND (review_outcome IS NULL) = (review_note IS NULL)
               AND (review_outcome IS NULL OR review_outcome IN ('JUSTIFIED', 'NOT_JUSTIFIED', 'REFERRED'))
               AND (review_note IS NULL OR char_length(review_note) BETWEEN 1 AND 2000)`,
)
@Index('idx_break_glass_unreviewed', ['grantedAt', 'id'], { where: 'reviewed_at IS NULL' })
export class BreakGlassGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'uuid' })
  agencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agency_id' })
  agency?: AgencyEntity;

  @Column({ type: 'text' })
  reason!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when an auditor or police supervisor has reviewed the grant; null: awaiting review. */
  @Column({ type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  reviewedByUserId!: string | null;

  /** JUSTIFIED, NOT_JUSTIFIED or REFERRED; set with `reviewed_at`. */
  @Column({ type: 'text', nullable: true })
  reviewOutcome!: string | null;

  @Column({ type: 'text', nullable: true })
  reviewNote!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'reviewed_by_user_id' })
  reviewedByUser?: UserEntity;
}
