import { UserEntity } from '../users/user.entity';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { IntelligenceReportEntity } from '../intelligence/intelligence-report.entity';
import { SubjectEntity } from './subject.entity';
import { SubjectRole } from './subject.enums';

/** A subject's part in one report, with its own role. */
@Entity('report_subjects')
@Index('IDX_report_subjects_subject', ['subjectId'])
export class ReportSubjectEntity {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @PrimaryColumn({ type: 'uuid' })
  subjectId!: string;

  @ManyToOne(() => IntelligenceReportEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'report_id' })
  report?: IntelligenceReportEntity;

  @ManyToOne(() => SubjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'subject_id' })
  subject?: SubjectEntity;

  @Column({ type: 'enum', enum: SubjectRole, enumName: 'subject_role' })
  role!: SubjectRole;

  @Column({ type: 'uuid' })
  linkedByUserId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'linked_by_user_id' })
  linkedByUser?: UserEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  linkedAt!: Date;
}
