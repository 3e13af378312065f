import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A GMP division: reference data loaded by migration, identified by a stable slug. */
@Entity('divisions')
export class DivisionEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;
}
