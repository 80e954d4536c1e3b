-- Ridni on PostgreSQL: the least-privilege role the service connects as.
--
-- Run as the role that owns the Ridni database (the one `ridni migrate` runs as), in that
-- database, AFTER `ridni migrate`, and again after every upgrade that adds tables (it is
-- idempotent):
--
--   psql "postgresql://OWNER@HOST/ridni" -v ON_ERROR_STOP=1 -f deploy/postgres-roles.sql
--   psql "postgresql://OWNER@HOST/ridni" -c "\password ridni_app"
--
-- then serve with DATABASE_URL=postgresql+psycopg://ridni_app:PASSWORD@HOST/ridni.
-- The owner needs CREATEROLE (or run the CREATE ROLE part as a superuser once).
--
-- What ridni_app may do: read and write the records, but only INSERT and SELECT the audit
-- trail, and only SELECT the migration version (so `ridni serve` can check that nothing is
-- pending). It owns nothing, so it cannot drop or disable the trigger that guards the audit
-- trail, alter any table, or create new ones.
--
-- `-v app_role=NAME` names the role differently (the tests use a throwaway name).

\if :{?app_role}
\else
  \set app_role ridni_app
\endif

SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', :'app_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role') \gexec

SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app_role') \gexec
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Nobody but the owner creates objects in the schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- The audit trail is append-only: rows are added and read, never changed or removed.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM :"app_role";
-- The schema's version belongs to migrations.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM :"app_role";
