-- Customer imports that still have rows to write, so any node's worker can finish one whose process
-- stopped midway (`lease_until`: the holder renews it with every batch).
CREATE TABLE platform.import_jobs (
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    import_id bigint NOT NULL,
    holder text,
    lease_until timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, import_id)
);

-- Which of these usernames are taken on the platform, and whether by the calling tenant: an import skips
-- its own existing customers and refuses the others', without reading the registry itself.
CREATE FUNCTION platform.usernames_taken(p_names text[])
RETURNS TABLE (username text, own boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, platform AS $fn$
    SELECT u.username, u.tenant_id = platform.current_tenant()
    FROM platform.usernames u WHERE u.username = ANY (p_names)
$fn$;
REVOKE ALL ON FUNCTION platform.usernames_taken(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION platform.usernames_taken(text[]) TO uplink_tenants;
