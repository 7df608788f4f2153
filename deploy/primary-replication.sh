#!/bin/sh
# Run once by the postgres image when it creates the primary's database: a role that streaming
# standbys connect as, and the pg_hba.conf line that lets them (replication connections match
# only lines that name `replication`).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$POSTGRES_REPLICATION_PASSWORD'"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
