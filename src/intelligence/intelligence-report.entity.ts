import { ServiceAccountEntity } from '../users/service-account.entity';
import { UserEntity } from '../users/user.entity';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { DivisionEntity } from '../agencies/division.entity';
import {
  Classification,
  HandlingCode,
  IntelligenceAssessment,
  ReportStatus,
  RiskIndicator,
  SourceEvaluation,
  SourceType,
} from './intelligence.enums';

/** Upper bound on a narrative, enforced by the API and the database alike. */
export const NARRATIVE_MAX_LENGTH = 20_000;

/** One piece of intelligence, as submitted by an agency and graded by police. */
@Entity('intelligence_reports')
@Check('CHK_reports_narrative_length', `char_length(btrim(narrative)) BETWEEN 1 AND ${NARRATIVE_MAX_LENGTH}`)
@Check('CHK_reports_one_submitter', 'num_nonnulls(submitted_by_user_id, submitted_by_service_account_id) = 1')
@Check('CHK_reports_conditions_for_c', `handling_code IS DISTINCT FROM 'C' OR char_length(btrim(handling_conditions)) > 0`)
@Check('CHK_reports_graded_together', 'num_nulls(source_evaluation, intelligence_assessment, handling_code) IN (0, 3)')
@Check('CHK_reports_idempotency', '(idempotency_key IS NULL) = (payload_hash IS NULL)')
// Full-text search over location (weighted higher) and narrative: GIN on searchVector (migration SQL).
@Index('IDX_reports_search', { synchronize: false })
@Index('IDX_reports_idempotency', { synchronize: false })
// Statistics: a covering index for the partial days at the ends of a range (migration SQL).
@Index('IDX_reports_stats', { synchronize: false })
@Index('IDX_reports_received', ['receivedAt', 'id'])
@Index('IDX_reports_division_received', ['divisionId', 'receivedAt'])
@Index('IDX_reports_agency_received', ['submittedByAgencyId', 'receivedAt'])
@Index('IDX_reports_service_account_received', ['submittedByServiceAccountId', 'receivedAt'])
export class IntelligenceReportEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /**
   * Human-readable and opaque, e.g. INT-7KQ2M-X9D4P: random, so it reveals nothing of other agencies'
   * submissions (a function defined by migration). Early reports keep sequential INT-0001234 forms.
   */
  @Column({ type: 'text', unique: true, default: () => 'next_report_reference()' })
  reference!: string;

  @Column({ type: 'enum', enum: SourceType, enumName: 'source_type' })
  sourceType!: SourceType;

  @Column({ type: 'enum', enum: ReportStatus, enumName: 'report_status', default: ReportStatus.SUBMITTED })
  status!: ReportStatus;

  @Column({ type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  occurredAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  divisionId!: string | null;

  @ManyToOne(() => DivisionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'division_id' })
  division?: DivisionEntity;

  @Column({ type: 'text', nullable: true })
  location!: string | null;

  @Column({ type: 'text' })
  narrative!: string;

  /**
   * `report_search_vector(location, narrative)`, stored so that search ranks without recomputing it;
   * set by a trigger on every insert and on updates of either (migration SQL), never written by us.
   */
  @Column({ type: 'tsvector', select: false, insert: false, update: false })
  searchVector!: string;

  @Column({ type: 'enum', enum: RiskIndicator, enumName: 'risk_indicator', array: true, default: () => `'{}'` })
  riskIndicators!: RiskIndicator[];

  @Column({ type: 'enum', enum: Classification, enumName: 'classification', default: Classification.OFFICIAL })
  classification!: Classification;

  @Column({ type: 'uuid' })
  submittedByAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'submitted_by_agency_id' })
  submittedByAgency?: AgencyEntity;

  @Column({ type: 'uuid', nullable: true })
  submittedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'submitted_by_user_id' })
  submittedByUser?: UserEntity;

  @Column({ type: 'uuid', nullable: true })
  submittedByServiceAccountId!: string | null;

  @ManyToOne(() => ServiceAccountEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'submitted_by_service_account_id' })
  submittedByServiceAccount?: ServiceAccountEntity;

  /** The submitter's retry key, and a hash of the payload it was first used with. */
  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'text', nullable: true })
  payloadHash!: string | null;

  @Column({ type: 'enum', enum: SourceEvaluation, enumName: 'source_evaluation', nullable: true })
  sourceEvaluation!: SourceEvaluation | null;

  @Column({ type: 'enum', enum: IntelligenceAssessment, enumName: 'intelligence_assessment', nullable: true })
  intelligenceAssessment!: IntelligenceAssessment | null;

  @Column({ type: 'enum', enum: HandlingCode, enumName: 'handling_code', nullable: true })
  handlingCode!: HandlingCode | null;

  @Column({ type: 'text', nullable: true })
  handlingConditions!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  assessedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  assessedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'assessed_by_user_id' })
  assessedByUser?: UserEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  /** When its retention review disposed of it (docs/lawful-sharing.md): its case content is gone and it is NOT_FOUND everywhere. */
  @Column({ type: 'timestamptz', nullable: true })
  disposedAt!: Date | null;
}
