#!/usr/bin/env bash
# Start Debian's PostgreSQL on loopback and create the role the deployment test uses (root only; CI and
# developers). Prints the environment to export: eval "$(deploy/local-postgres.sh)".
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null
pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 30); do su postgres -c "pg_isready -q -h 127.0.0.1" && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'areavasta'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE areavasta LOGIN CREATEDB PASSWORD 'areavasta-ci'\"" >/dev/null
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'areavasta'\"" | grep -q 1 ||
  su postgres -c "createdb -O areavasta areavasta"
echo "export DAGSTER_PG_HOST=127.0.0.1 DAGSTER_PG_USER=areavasta DAGSTER_PG_PASSWORD=areavasta-ci DAGSTER_PG_DB=areavasta"
