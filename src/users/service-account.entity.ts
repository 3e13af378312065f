import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';

/** What a partner app's token may do. */
export enum ServiceScope {
  SUBMIT_INTELLIGENCE = 'SUBMIT_INTELLIGENCE',
  READ_OWN_SUBMISSIONS = 'READ_OWN_SUBMISSIONS',
}

/** A partner app (a voluntary group's app, a school's concern form) acting for its agency. */
@Check('CHK_service_accounts_has_scope', 'cardinality(scopes) > 0')
@Check('CHK_service_accounts_previous_secret', '(previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL)')
@Check('CHK_service_accounts_revoked', 'revoked_reason IS NULL OR disabled_at IS NOT NULL')
@Check(
  'CHK_service_accounts_trusted_documents',
  "(trusted_documents IS NULL) = (trusted_documents_set_at IS NULL) AND (trusted_documents IS NULL OR jsonb_typeof(trusted_documents) = 'object')",
)
@Index('IDX_service_accounts_agency', ['agencyId', 'createdAt', 'id'])
@Entity('service_accounts')
export class ServiceAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  agencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agency_id' })
  agency?: AgencyEntity;

  @Column({ type: 'text', unique: true })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  secretHash!: string;

  /** The secret before the last rotation: it keeps working until `previousSecretExpiresAt`. */
  @Column({ type: 'text', nullable: true })
  previousSecretHash!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Column({ type: 'enum', enum: ServiceScope, enumName: 'service_scope', array: true })
  scopes!: ServiceScope[];

  /** Set when the app is revoked (or disabled): it signs in no more and its tokens stop working. */
  @Column({ type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  /** Why an administrator revoked the app. */
  @Column({ type: 'text', nullable: true })
  revokedReason!: string | null;

  /**
   * The operations the app's tokens may run (trusted documents), by the sha256 hex of each one's text:
   * `{ "<hash>": { name, type, body } }`. NULL: any operation its scopes allow.
   */
  @Column({ type: 'jsonb', nullable: true })
  trustedDocuments!: Record<string, { name: string; type: string; body: string }> | null;

  @Column({ type: 'timestamptz', nullable: true })
  trustedDocumentsSetAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
