import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { SubjectEntity } from '../subjects/subject.entity';
import { UserEntity } from '../users/user.entity';
import { AccessRequestStatus, Urgency } from './disclosure.enums';

/** A practitioner's request for more about a subject; a police supervisor discloses or declines. */
@Entity('access_requests')
@Check('CHK_access_requests_reason', `char_length(btrim(reason)) BETWEEN 1 AND 2000`)
@Check(
  'CHK_access_requests_decided',
  `(status = 'PENDING') = (decided_at IS NULL) AND (decided_at IS NULL) = (decided_by_user_id IS NULL) AND (decided_at IS NULL OR decided_at >= requested_at)`,
)
// One pending request per agency and subject; maintained by migration SQL (partial).
@Index('IDX_access_requests_one_pending', { synchronize: false })
// Pending requests by due time (the overdue filter, the deadline clock); partial, in migration SQL.
@Index('IDX_access_requests_overdue', { synchronize: false })
@Check('CHK_access_requests_due', `due_at > requested_at`)
@Index('IDX_access_requests_agency', ['requesterAgencyId', 'requestedAt'])
@Index('IDX_access_requests_requested', ['requestedAt', 'id'])
export class AccessRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'uuid' })
  requestedByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requested_by_user_id' })
  requestedByUser?: UserEntity;

  @Column({ type: 'uuid' })
  requesterAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requester_agency_id' })
  requesterAgency?: AgencyEntity;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'enum', enum: AccessRequestStatus, enumName: 'access_request_status', default: AccessRequestStatus.PENDING })
  status!: AccessRequestStatus;

  @Column({ type: 'enum', enum: Urgency, enumName: 'access_request_urgency', default: Urgency.AMBER })
  urgency!: Urgency;

  @CreateDateColumn({ type: 'timestamptz' })
  requestedAt!: Date;

  /** When the answer is due: requested_at plus the configured hours of its urgency, fixed at request. */
  @Column({ type: 'timestamptz' })
  dueAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  decidedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'decided_by_user_id' })
  decidedByUser?: UserEntity;
}
