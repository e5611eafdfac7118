-- Customer imports from CSV: each upload, its rows as checked and normalised (loaded with COPY, then
-- validated and inserted set-based), and its errors per line. A large import runs in batches, each its own
-- transaction that marks its rows done, so an import cut off midway resumes where it stopped.
CREATE TABLE imports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The importer's operator (row-level security) and the scope its rows were checked in.
    operator_id bigint NOT NULL REFERENCES operators (id),
    scope_operators bigint[],
    created_by text NOT NULL,
    actor_user_id bigint,
    actor_token_id bigint,
    request_id text,
    file_name text CHECK (length(file_name) <= 200),
    dry_run boolean NOT NULL,
    strict boolean NOT NULL,
    mode text NOT NULL CHECK (mode IN ('insert', 'upsert')),
    state text NOT NULL CHECK (state IN ('importing', 'done', 'failed')),
    total integer NOT NULL DEFAULT 0,
    valid integer NOT NULL DEFAULT 0,
    imported integer NOT NULL DEFAULT 0,
    updated integer NOT NULL DEFAULT 0,
    skipped_existing integer NOT NULL DEFAULT 0,
    error_count integer NOT NULL DEFAULT 0,
    unknown_columns text[] NOT NULL DEFAULT '{}',
    message text CHECK (length(message) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX imports_recent ON imports (created_at DESC, id DESC);

CREATE TABLE import_rows (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line integer NOT NULL,
    type text NOT NULL,
    operator_id bigint NOT NULL,
    username text NOT NULL,
    password_enc bytea,
    full_name text NOT NULL,
    phone text,
    email text,
    house text, road text, area text, thana text, district text, division text,
    zone_id bigint,
    package_id bigint,
    billing_profile_id bigint,
    static_ip inet,
    mac macaddr,
    client_type text NOT NULL,
    connection_type text NOT NULL,
    connectivity text NOT NULL,
    gender text,
    nid text,
    connection_date date,
    expires_at timestamptz,
    status text NOT NULL,
    custom jsonb NOT NULL DEFAULT '{}',
    notes text,
    -- pending (valid, not yet written), error, existing (the tenant has the username), imported, updated.
    outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'error', 'existing', 'imported', 'updated')),
    customer_id bigint,
    PRIMARY KEY (import_id, line)
);
CREATE INDEX import_rows_pending ON import_rows (import_id, line) WHERE outcome = 'pending';

CREATE TABLE import_errors (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line integer NOT NULL,
    column_name text,
    value text,
    code text NOT NULL,
    message text NOT NULL
);
CREATE INDEX import_errors_import ON import_errors (import_id, line);

-- A sub-reseller sees the imports it made; the tenant's owner sees all.
ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY imports_owner ON imports TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY imports_subreseller ON imports TO uplink_subresellers
    USING (platform.operator_visible(operator_id)) WITH CHECK (platform.operator_visible(operator_id));
ALTER TABLE import_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_rows_owner ON import_rows TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY import_rows_subreseller ON import_rows TO uplink_subresellers
    USING (EXISTS (SELECT 1 FROM imports i WHERE i.id = import_id)) WITH CHECK (EXISTS (SELECT 1 FROM imports i WHERE i.id = import_id));
ALTER TABLE import_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_errors_owner ON import_errors TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY import_errors_subreseller ON import_errors TO uplink_subresellers
    USING (EXISTS (SELECT 1 FROM imports i WHERE i.id = import_id)) WITH CHECK (EXISTS (SELECT 1 FROM imports i WHERE i.id = import_id));

-- Which of these MAC addresses are bound to a customer of the tenant (any operator's: a MAC is unique in
-- the tenant, also where a sub-reseller cannot see the customer that has it).
CREATE FUNCTION macs_in_use(p_macs macaddr[]) RETURNS SETOF macaddr
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT mac FROM customer_devices WHERE mac = ANY (p_macs)
$fn$;

-- The same for static IPs of live customers.
CREATE FUNCTION static_ips_in_use(p_ips inet[]) RETURNS SETOF inet
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT static_ip FROM customers WHERE static_ip = ANY (p_ips) AND deleted_at IS NULL
$fn$;
