-- What the admin defines for every tenant (packages, their assignments and prices, billing profiles,
-- VAT profiles) in the shared `catalog` schema, and the platform-wide customer registry: usernames
-- (one namespace, because RADIUS and the routers see one), the narrow cross-tenant search index and the
-- provisioning outbox.

-- Each tenant has two roles: `uplink_t_<id>` for its owner (the whole tenant) and `uplink_ts_<id>` for its
-- sub-resellers (their own operators' rows only). Tenant tables give each group its own row-level-security
-- policy: the owners' is `true`, which the planner drops, so an owner's queries carry no per-row policy and
-- may use any index; the sub-resellers' filters by operator.
DO $groups$ BEGIN
    BEGIN CREATE ROLE uplink_owners NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
    BEGIN CREATE ROLE uplink_subresellers NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $groups$;

-- Logins of the current tenant, for either of its roles.
CREATE OR REPLACE VIEW platform.tenant_logins WITH (security_barrier) AS
    SELECT u.id AS user_id, u.operator_id, u.username, u.email, u.role, u.status, u.last_login_at
    FROM platform.users u
    WHERE current_user IN ('uplink_t_' || u.tenant_id, 'uplink_ts_' || u.tenant_id);

-- Trusted extensions (a database owner may create them): trigram indexes for substring search and
-- accent folding for names.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA platform;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA platform;

-- Lower case without accents: 'Zoë Ahmed' and 'zoe ahmed' fold alike. Immutable (the dictionary is
-- named explicitly), so it can feed a stored generated column and an index.
CREATE FUNCTION platform.fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
    SELECT lower(platform.unaccent('platform.unaccent'::regdictionary, $1))
$fn$;
GRANT EXECUTE ON FUNCTION platform.fold(text) TO uplink_tenants;

-- The tenant of the current transaction (set by the scope switch), or NULL outside one.
CREATE FUNCTION platform.current_tenant() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT nullif(current_setting('uplink.tenant_id', true), '')::bigint
$fn$;
GRANT EXECUTE ON FUNCTION platform.current_tenant() TO uplink_tenants;

CREATE SCHEMA catalog;
REVOKE ALL ON SCHEMA catalog FROM PUBLIC;
GRANT USAGE ON SCHEMA catalog TO uplink_tenants;

CREATE TABLE catalog.vat_profiles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- 500 = 5 %.
    rate_basis_points integer NOT NULL CHECK (rate_basis_points BETWEEN 0 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO catalog.vat_profiles (name, rate_basis_points) VALUES ('VAT 5%', 500), ('VAT exempt', 0);

CREATE TABLE catalog.packages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    customer_type text NOT NULL CHECK (customer_type IN ('pppoe_daily', 'pppoe_monthly', 'hotspot', 'static_monthly', 'other')),
    download_kbps integer NOT NULL CHECK (download_kbps BETWEEN 0 AND 100000000),
    upload_kbps integer NOT NULL CHECK (upload_kbps BETWEEN 0 AND 100000000),
    burst_download_kbps integer CHECK (burst_download_kbps > 0),
    burst_upload_kbps integer CHECK (burst_upload_kbps > 0),
    burst_threshold_download_kbps integer CHECK (burst_threshold_download_kbps > 0),
    burst_threshold_upload_kbps integer CHECK (burst_threshold_upload_kbps > 0),
    burst_time_seconds integer CHECK (burst_time_seconds BETWEEN 1 AND 3600),
    time_limit_minutes integer CHECK (time_limit_minutes > 0),
    data_limit_mb bigint CHECK (data_limit_mb > 0),
    validity_days integer CHECK (validity_days BETWEEN 1 AND 3660),
    validity_hours integer CHECK (validity_hours BETWEEN 1 AND 8784),
    ip_pool text CHECK (length(ip_pool) BETWEEN 1 AND 64),
    suspended_pool text CHECK (length(suspended_pool) BETWEEN 1 AND 64),
    ppp_profile text CHECK (length(ppp_profile) BETWEEN 1 AND 64),
    -- What the customer pays, in minor units (poisha), excluding VAT.
    price bigint NOT NULL CHECK (price >= 0),
    currency text NOT NULL DEFAULT 'BDT' CHECK (currency ~ '^[A-Z]{3}$'),
    vat_profile_id bigint REFERENCES catalog.vat_profiles (id),
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (validity_days IS NULL OR validity_hours IS NULL),
    CHECK (validity_hours IS NULL OR customer_type = 'hotspot'),
    CHECK ((burst_download_kbps IS NULL) = (burst_upload_kbps IS NULL))
);
CREATE UNIQUE INDEX packages_name_key ON catalog.packages (lower(name));

-- Which operator may sell which package, and at what operator price (what that operator pays its
-- parent). Level `reseller` rows are the admin's (package → reseller tenant's owner); level
-- `sub_reseller` rows are a tenant owner's (package → one of its sub-resellers).
CREATE TABLE catalog.package_assignments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    package_id bigint NOT NULL REFERENCES catalog.packages (id) ON DELETE CASCADE,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    operator_id bigint NOT NULL,
    level text NOT NULL CHECK (level IN ('reseller', 'sub_reseller')),
    price bigint NOT NULL CHECK (price >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (package_id, operator_id)
);
CREATE INDEX package_assignments_operator ON catalog.package_assignments (operator_id);
CREATE INDEX package_assignments_tenant ON catalog.package_assignments (tenant_id, package_id);

-- A tenant role sees its own tenant's assignments (a sub-reseller only its own) and writes only the
-- ones it gives its sub-resellers; the admin writes the rest as the application role.
ALTER TABLE catalog.package_assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assignments_read ON catalog.package_assignments FOR SELECT TO uplink_tenants
    USING (tenant_id = platform.current_tenant() AND platform.operator_visible(operator_id));
CREATE POLICY assignments_insert ON catalog.package_assignments FOR INSERT TO uplink_tenants
    WITH CHECK (tenant_id = platform.current_tenant() AND level = 'sub_reseller' AND platform.operator_visible(operator_id));
CREATE POLICY assignments_update ON catalog.package_assignments FOR UPDATE TO uplink_tenants
    USING (tenant_id = platform.current_tenant() AND level = 'sub_reseller' AND platform.operator_visible(operator_id))
    WITH CHECK (tenant_id = platform.current_tenant() AND level = 'sub_reseller' AND platform.operator_visible(operator_id));
CREATE POLICY assignments_delete ON catalog.package_assignments FOR DELETE TO uplink_tenants
    USING (tenant_id = platform.current_tenant() AND level = 'sub_reseller' AND platform.operator_visible(operator_id));

CREATE TABLE catalog.billing_profiles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    cycle_day integer NOT NULL CHECK (cycle_day BETWEEN 1 AND 28),
    due_days integer NOT NULL DEFAULT 7 CHECK (due_days BETWEEN 0 AND 90),
    grace_days integer NOT NULL DEFAULT 3 CHECK (grace_days BETWEEN 0 AND 90),
    auto_invoice boolean NOT NULL DEFAULT true,
    auto_suspend boolean NOT NULL DEFAULT true,
    auto_reactivate boolean NOT NULL DEFAULT true,
    cycle_ends_with_month boolean NOT NULL DEFAULT false,
    vat_profile_id bigint REFERENCES catalog.vat_profiles (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX billing_profiles_name_key ON catalog.billing_profiles (lower(name));

GRANT SELECT ON catalog.vat_profiles, catalog.packages, catalog.billing_profiles TO uplink_tenants;
GRANT SELECT, INSERT, UPDATE, DELETE ON catalog.package_assignments TO uplink_tenants;

-- Subscriber usernames, unique across the platform case-insensitively, reserved while the customer is
-- soft-deleted. Written by the customers tables' triggers in the same statement as the customer.
CREATE TABLE platform.usernames (
    username text PRIMARY KEY CHECK (username = lower(username)),
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    customer_id bigint NOT NULL,
    UNIQUE (tenant_id, customer_id)
);

-- The narrow cross-tenant index the admin searches (never one query per schema). Same triggers.
CREATE TABLE platform.customer_index (
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    customer_id bigint NOT NULL,
    operator_id bigint NOT NULL,
    code text NOT NULL,
    username text NOT NULL,
    full_name text NOT NULL,
    search_name text NOT NULL,
    phone text,
    type text NOT NULL,
    status text NOT NULL,
    deleted boolean NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX customer_index_name ON platform.customer_index USING gin (search_name platform.gin_trgm_ops);
CREATE INDEX customer_index_username ON platform.customer_index (lower(username) text_pattern_ops);
CREATE INDEX customer_index_phone ON platform.customer_index (phone text_pattern_ops);
CREATE INDEX customer_index_code ON platform.customer_index (lower(code));
CREATE INDEX customer_index_created ON platform.customer_index (created_at DESC, tenant_id, customer_id);

-- Keeps `usernames` and `customer_index` equal to a tenant's `customers` table, set-based, per statement.
-- Security definer: tenant roles cannot touch either table directly. The tenant comes from the schema of
-- the table that fired, which only migrations create.
CREATE FUNCTION platform.customers_registry_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, platform AS $fn$
DECLARE
    tenant bigint := substr(TG_TABLE_SCHEMA, 3)::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO platform.usernames (username, tenant_id, customer_id)
        SELECT lower(n.username), tenant, n.id FROM new_rows n;
        INSERT INTO platform.customer_index
            (tenant_id, customer_id, operator_id, code, username, full_name, search_name, phone, type, status, deleted, created_at)
        SELECT tenant, n.id, n.operator_id, n.code, n.username, n.full_name, n.search_name, n.phone, n.type, n.status,
               n.deleted_at IS NOT NULL, n.created_at
        FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE platform.usernames u SET username = lower(n.username)
        FROM new_rows n
        WHERE u.tenant_id = tenant AND u.customer_id = n.id AND u.username <> lower(n.username);
        UPDATE platform.customer_index x
        SET operator_id = n.operator_id, code = n.code, username = n.username, full_name = n.full_name,
            search_name = n.search_name, phone = n.phone, type = n.type, status = n.status,
            deleted = n.deleted_at IS NOT NULL
        FROM new_rows n
        WHERE x.tenant_id = tenant AND x.customer_id = n.id
          AND (x.operator_id, x.code, x.username, x.full_name, x.phone, x.type, x.status, x.deleted)
              IS DISTINCT FROM (n.operator_id, n.code, n.username, n.full_name, n.phone, n.type, n.status, n.deleted_at IS NOT NULL);
    ELSE
        DELETE FROM platform.usernames u USING old_rows o WHERE u.tenant_id = tenant AND u.customer_id = o.id;
        DELETE FROM platform.customer_index x USING old_rows o WHERE x.tenant_id = tenant AND x.customer_id = o.id;
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION platform.customers_registry_sync() FROM PUBLIC;

-- Provisioning outbox: one row per customer change that affects the network, written in the same
-- transaction as the change. The provisioning relay consumes it.
CREATE TABLE platform.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    customer_id bigint NOT NULL,
    reason text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_tenant_customer ON platform.outbox (tenant_id, customer_id);
ALTER TABLE platform.outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY outbox_insert ON platform.outbox FOR INSERT TO uplink_tenants
    WITH CHECK (tenant_id = platform.current_tenant());
GRANT INSERT ON platform.outbox TO uplink_tenants;
