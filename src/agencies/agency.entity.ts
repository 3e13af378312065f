import { Check, Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryGeneratedColumn } from 'typeorm';
import { AgencyKind } from './agency-kind';
import { AgencyStatus } from './agency-status';
import { DivisionEntity } from './division.entity';

@Check('CHK_agencies_name_not_blank', `btrim(name) <> ''`)
// Case-insensitive uniqueness; maintained by migration SQL.
@Index('IDX_agencies_name_lower', { synchronize: false })
@Entity('agencies')
export class AgencyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'enum', enum: AgencyKind, enumName: 'agency_kind' })
  kind!: AgencyKind;

  /** Its users cannot sign in until a second OVERSIGHT administrator approves it (policy/grants.ts). */
  @Column({ type: 'enum', enum: AgencyStatus, enumName: 'agency_status', default: AgencyStatus.ACTIVE })
  status!: AgencyStatus;

  /** The divisions the agency works in; an agency with none works force-wide. */
  @ManyToMany(() => DivisionEntity)
  @JoinTable({
    name: 'agency_divisions',
    joinColumn: { name: 'agency_id' },
    inverseJoinColumn: { name: 'division_id' },
  })
  divisions?: DivisionEntity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
