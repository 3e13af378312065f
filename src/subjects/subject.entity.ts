import { AgencyEntity } from '../agencies/agency.entity';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Gender } from './subject.enums';

/** A person (child or adult) known to one or more agencies. */
@Entity('subjects')
@Check('CHK_subjects_name', `char_length(btrim(full_name)) BETWEEN 1 AND 200`)
@Check('CHK_subjects_age', 'approximate_age IS NULL OR approximate_age BETWEEN 0 AND 120')
@Check('CHK_subjects_nhs_number', `nhs_number IS NULL OR nhs_number ~ '^[0-9]{10}$'`)
// A blank identifier identifies nobody (and two blanks would match as one person); NULL passes.
@Check('CHK_subjects_police_reference_not_blank', `btrim(police_reference) <> ''`)
@Check('CHK_subjects_nhs_number_not_blank', `btrim(nhs_number) <> ''`)
@Check('CHK_subjects_school_upn_not_blank', `btrim(school_upn) <> ''`)
@Check('CHK_subjects_social_care_id_not_blank', `btrim(social_care_id) <> ''`)
// Fuzzy name matching (pg_trgm); maintained by migration SQL.
@Index('IDX_subjects_name_trgm', { synchronize: false })
@Index('IDX_subjects_dob', ['dateOfBirth'])
@Index('IDX_subjects_created', ['createdAt', 'id'])
export class SubjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  fullName!: string;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  aliases!: string[];

  @Column({ type: 'date', nullable: true })
  dateOfBirth!: string | null;

  /** When the date of birth is unknown: an estimate in years, as of `createdAt`. */
  @Column({ type: 'smallint', nullable: true })
  approximateAge!: number | null;

  @Column({ type: 'enum', enum: Gender, enumName: 'gender', default: Gender.UNKNOWN })
  gender!: Gender;

  @Column({ type: 'text', nullable: true, unique: true })
  policeReference!: string | null;

  @Column({ type: 'text', nullable: true, unique: true })
  nhsNumber!: string | null;

  @Column({ type: 'text', nullable: true, unique: true })
  schoolUpn!: string | null;

  @Column({ type: 'text', nullable: true, unique: true })
  socialCareId!: string | null;

  @Column({ type: 'uuid' })
  createdByAgencyId!: string;

  @ManyToOne(() => AgencyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'created_by_agency_id' })
  createdByAgency?: AgencyEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  /** When its retention review disposed of it (docs/lawful-sharing.md): its case content is gone and it is NOT_FOUND everywhere. */
  @Column({ type: 'timestamptz', nullable: true })
  disposedAt!: Date | null;
}
