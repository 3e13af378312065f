import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Agency names are unique whatever their case ("Safe Futures" and "safe futures" are one agency). */
export class AgencyNameCase1764480000000 implements MigrationInterface {
  name = 'AgencyNameCase1764480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX "IDX_agencies_name_lower" ON agencies (lower(name))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_agencies_name_lower"`);
  }
}
