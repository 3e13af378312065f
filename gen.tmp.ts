import 'reflect-metadata';
import { createDataSource } from './src/db/data-source';
import { runMigrations } from './src/db/migrate';
(async () => {
  const ds = createDataSource({ url: 'postgres://postgres@127.0.0.1:5432/gen_tmp' });
  await ds.initialize();
  await runMigrations(ds);
  const log = await ds.driver.createSchemaBuilder().log();
  for (const q of log.upQueries) console.log(q.query.replace(/\s+/g, ' ').replace(/  \(/g,'(').replace(/\) $/,')') + (q.parameters?.length ? ' -- ' + JSON.stringify(q.parameters) : ''));
  await ds.destroy();
})().catch((e) => { console.error('ERR', e); process.exit(1); });
