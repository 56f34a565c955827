-- Run once by the postgres image on an empty volume (docker-entrypoint-initdb.d), as the POSTGRES_USER.
-- The database `ledger` (POSTGRES_DB) holds the log, read models, outbox and leases of the `--profile pg`
-- nodes; this one holds the read models of the EventStoreDB ledger. Separate databases: both use the
-- same ledger_rm_* tables, each derived from its own log.
CREATE DATABASE ledger_esdb_read_models;
