import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One change to a case record: who, when, what it was before and after. Never updated or deleted. */
@Entity('record_history')
@Index('IDX_history_record', ['recordKind', 'recordId', 'changedAt'])
export class RecordHistoryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  /** e.g. intelligence_report, subject, flag, crime */
  @Column({ type: 'text' })
  recordKind!: string;

  @Column({ type: 'uuid' })
  recordId!: string;

  /** e.g. submitted, assessed, linked_subject, flagged, ended */
  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'uuid' })
  actorId!: string;

  @Column({ type: 'uuid' })
  actorAgencyId!: string;

  @Column({ type: 'jsonb', nullable: true })
  before!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after!: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  changedAt!: Date;
}
