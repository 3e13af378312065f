import { Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The register's agreements, as far as other entities refer to them (a disclosure's agreement).
 * The table itself is the migration's (migrations/1767000000200-lawful-records.ts) and read and
 * written through agreement.queries.ts: TypeORM does not synchronise it.
 */
@Entity('information_sharing_agreements', { synchronize: false })
export class AgreementEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;
}
