import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { AgreementEntity } from '../agreements/agreement.entity';
import { IntelligenceReportEntity } from '../intelligence/intelligence-report.entity';
import { UserEntity } from '../users/user.entity';
import { AccessRequestEntity } from './access-request.entity';
import { LegalGateway } from './disclosure.enums';

/**
 * A police supervisor's recorded decision to share a sanitised summary of one report with a named
 * agency, under a legal gateway, until it expires or is revoked. The raw narrative never travels.
 */
@Entity('disclosures')
@Check('CHK_disclosures_purpose', `char_length(btrim(purpose)) BETWEEN 1 AND 2000`)
@Check('CHK_disclosures_summary', `char_length(btrim(summary)) BETWEEN 1 AND 10000`)
@Check('CHK_disclosures_conditions', `char_length(btrim(conditions)) BETWEEN 1 AND 2000`)
@Check('CHK_disclosures_expiry', `expires_at > disclosed_at`)
@Check(
  'CHK_disclosures_revoked',
  `(revoked_at IS NULL) = (revoked_by_user_id IS NULL) AND (revoked_at IS NULL) = (revocation_reason IS NULL) AND (revoked_at IS NULL OR revoked_at >= disclosed_at)`,
)
@Check('CHK_disclosures_revocation_reason', `char_length(btrim(revocation_reason)) > 0`)
// The "known to" scope: unrevoked disclosures of a report to an agency; maintained by migration SQL (partial).
@Index('IDX_disclosures_scope', { synchronize: false })
@Index('IDX_disclosures_recipient', ['recipientAgencyId', 'disclosedAt'])
@Index('IDX_disclosures_disclosed', ['disclosedAt', 'id'])
@Check(
  'chk_disclosures_agreement',
  `(agreement_id IS NULL) <> (no_agreement_reason IS NULL) AND (no_agreement_reason IS NULL OR char_length(btrim(no_agreement_reason)) BETWEEN 1 AND 2000)`,
)
// Partial (agreement_id IS NOT NULL): maintained by migration SQL.
@Index('idx_disclosures_agreement', { synchronize: false })
export class DisclosureEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  @ManyToOne(() => IntelligenceReportEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'report_id' })
  report?: IntelligenceReportEntity;

  @Column({ type: 'uuid' })
  recipientAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'recipient_agency_id' })
  recipientAgency?: AgencyEntity;

  @Column({ type: 'enum', enum: LegalGateway, enumName: 'legal_gateway' })
  gateway!: LegalGateway;

  @Column({ type: 'text' })
  purpose!: string;

  /** The sanitised summary the recipient reads, written for them: never the raw narrative. */
  @Column({ type: 'text' })
  summary!: string;

  /** Required (by the service) when the report's handling code is C. */
  @Column({ type: 'text', nullable: true })
  conditions!: string | null;

  /** True when the supervisor acknowledged disclosing an OFFICIAL_SENSITIVE report. */
  @Column({ type: 'boolean', default: false })
  sensitiveAcknowledged!: boolean;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  disclosedAt!: Date;

  @Column({ type: 'uuid' })
  disclosedByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'disclosed_by_user_id' })
  disclosedByUser?: UserEntity;

  /** The access request this disclosure answers, if any. */
  @Column({ type: 'uuid', nullable: true })
  accessRequestId!: string | null;

  @ManyToOne(() => AccessRequestEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'access_request_id' })
  accessRequest?: AccessRequestEntity;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  revokedByUserId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'revoked_by_user_id' })
  revokedByUser?: UserEntity;

  @Column({ type: 'text', nullable: true })
  revocationReason!: string | null;

  /** The information-sharing agreement it was made under; null when noAgreementReason says why none applied. */
  @Column({ type: 'uuid', nullable: true })
  agreementId!: string | null;

  @ManyToOne(() => AgreementEntity, { nullable: true })
  @JoinColumn({ name: 'agreement_id', foreignKeyConstraintName: 'disclosures_agreement_id_fkey' })
  agreement?: AgreementEntity;

  @Column({ type: 'text', nullable: true })
  noAgreementReason!: string | null;
}

/** A recorded decision not to share (DESIGN: a decision not to share is recorded too). */
@Entity('disclosure_declines')
@Check('CHK_disclosure_declines_reason', `char_length(btrim(reason)) BETWEEN 1 AND 2000`)
@Check('CHK_disclosure_declines_about', `report_id IS NOT NULL OR access_request_id IS NOT NULL`)
@Index('IDX_disclosure_declines_decided', ['decidedAt', 'id'])
@Index('IDX_disclosure_declines_request', ['accessRequestId'])
export class DisclosureDeclineEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid', nullable: true })
  reportId!: string | null;

  @ManyToOne(() => IntelligenceReportEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'report_id' })
  report?: IntelligenceReportEntity;

  @Column({ type: 'uuid' })
  recipientAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'recipient_agency_id' })
  recipientAgency?: AgencyEntity;

  @Column({ type: 'uuid', nullable: true })
  accessRequestId!: string | null;

  @ManyToOne(() => AccessRequestEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'access_request_id' })
  accessRequest?: AccessRequestEntity;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'uuid' })
  decidedByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'decided_by_user_id' })
  decidedByUser?: UserEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  decidedAt!: Date;
}
