-- Run once by the postgres image on an empty data volume: the warehouse gets its own database beside
-- Dagster's instance storage (POSTGRES_DB).
CREATE DATABASE warehouse;
