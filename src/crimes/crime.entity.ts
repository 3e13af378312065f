import { UserEntity } from '../users/user.entity';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { DivisionEntity } from '../agencies/division.entity';
import { SubjectEntity } from '../subjects/subject.entity';
import { CrimeRole } from './crime.enums';

/** A CSE-linked crime. */
@Entity('crimes')
@Check('CHK_crimes_reference', `char_length(btrim(crime_reference)) BETWEEN 1 AND 64`)
@Check('CHK_crimes_offence', `char_length(btrim(offence)) BETWEEN 1 AND 500`)
@Index('IDX_crimes_recorded', ['recordedOn', 'id'])
// Statistics: a covering index over crimes by date (migration SQL).
@Index('IDX_crimes_stats', { synchronize: false })
export class CrimeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  crimeReference!: string;

  @Column({ type: 'text' })
  offence!: string;

  @Column({ type: 'text', nullable: true })
  divisionId!: string | null;

  @ManyToOne(() => DivisionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'division_id' })
  division?: DivisionEntity;

  @Column({ type: 'date' })
  recordedOn!: string;

  @Column({ type: 'uuid' })
  recordedByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'recorded_by_user_id' })
  recordedByUser?: UserEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  /** When its retention review disposed of it (docs/lawful-sharing.md): its case content is gone and it is NOT_FOUND everywhere. */
  @Column({ type: 'timestamptz', nullable: true })
  disposedAt!: Date | null;
}

/** A victim or suspect of a crime. One row per person per crime: nobody is both. */
@Entity('crime_subjects')
@Index('IDX_crime_subjects_subject', ['subjectId'])
export class CrimeSubjectEntity {
  @PrimaryColumn({ type: 'uuid' })
  crimeId!: string;

  @PrimaryColumn({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => CrimeEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'crime_id' })
  crime?: CrimeEntity;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'enum', enum: CrimeRole, enumName: 'crime_role' })
  role!: CrimeRole;
}
