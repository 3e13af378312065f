#!/bin/bash
# Runs once, when the primary's volume is first initialised (the official image's
# /docker-entrypoint-initdb.d): a replication role and a physical slot for the standby, and the
# standby's address allowed to stream. The WAL settings are on the command line (docker-compose.yml).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot('standby1');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
