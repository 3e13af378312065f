#!/bin/bash
# The hot standby: on first start (an empty volume) a base backup of the primary with -R
# (standby.signal and primary_conninfo) on the slot the primary's init script made; then PostgreSQL
# in recovery, streaming from it. Runs as the image's postgres user.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do sleep 1; done
  export PGPASSWORD="$REPLICATION_PASSWORD"
  pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" -R -S standby1 -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
