import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { IntelligenceReportEntity } from './intelligence-report.entity';

/**
 * Who gave a public tip-off. Held apart from the report and read only by a police SUPERVISOR:
 * an abuser who learned who spoke could harm them.
 */
@Entity('informants')
export class InformantEntity {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @OneToOne(() => IntelligenceReportEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'report_id' })
  report?: IntelligenceReportEntity;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  contact!: string | null;

  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
