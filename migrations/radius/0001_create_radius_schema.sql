-- FreeRADIUS reads its standard tables from this schema; the provisioning migrations add them.
CREATE SCHEMA IF NOT EXISTS radius;
REVOKE ALL ON SCHEMA radius FROM PUBLIC;
