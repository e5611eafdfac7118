-- Platform schema: tenants, operators' logins, API tokens, sign-in events.
-- Tenant data lives in one schema per tenant (t_<id>), reached only through that tenant's role.

-- Every tenant role joins this group: it grants what all tenants share (the operator id sequence).
DO $group$ BEGIN
    CREATE ROLE uplink_tenants NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $group$;

REVOKE ALL ON SCHEMA platform FROM PUBLIC;
GRANT USAGE ON SCHEMA platform TO uplink_tenants;

CREATE SEQUENCE platform.tenants_id_seq;

CREATE TABLE platform.tenants (
    id bigint PRIMARY KEY DEFAULT nextval('platform.tenants_id_seq'),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('admin', 'reseller')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    schema_name text NOT NULL UNIQUE,
    time_zone text NOT NULL DEFAULT 'Asia/Dhaka',
    currency text NOT NULL DEFAULT 'BDT',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (schema_name = 't_' || id)
);
ALTER SEQUENCE platform.tenants_id_seq OWNED BY platform.tenants.id;

-- Exactly one admin tenant, made here so a fresh database is usable at once.
CREATE UNIQUE INDEX tenants_one_admin ON platform.tenants (kind) WHERE kind = 'admin';
INSERT INTO platform.tenants (id, slug, name, kind, schema_name)
SELECT id, 'admin', 'ISP', 'admin', 't_' || id FROM (SELECT nextval('platform.tenants_id_seq') AS id) AS next;

-- Operator ids are unique across tenants, so an id never names two operators anywhere.
CREATE SEQUENCE platform.operator_ids;
GRANT USAGE ON SEQUENCE platform.operator_ids TO uplink_tenants;

-- True when the current transaction's scope may see rows of `operator_id` (row-level security).
-- `uplink.operator_ids` is '*' for a tenant's owner, else a comma-separated list; unset means nothing.
CREATE FUNCTION platform.operator_visible(operator_id bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    -- CASE fixes the order: '*' must never reach the bigint cast.
    SELECT CASE current_setting('uplink.operator_ids', true)
        WHEN '*' THEN true
        WHEN '' THEN false
        ELSE operator_id = ANY (string_to_array(current_setting('uplink.operator_ids', true), ',')::bigint[])
    END
$fn$;
GRANT EXECUTE ON FUNCTION platform.operator_visible(bigint) TO uplink_tenants;

CREATE TABLE platform.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    operator_id bigint NOT NULL,
    username text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'),
    email text CHECK (email IS NULL OR length(email) <= 254),
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'reseller', 'sub_reseller')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
CREATE UNIQUE INDEX users_username_key ON platform.users (lower(username));
CREATE UNIQUE INDEX users_email_key ON platform.users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_tenant ON platform.users (tenant_id);
CREATE INDEX users_operator ON platform.users (operator_id);

CREATE TABLE platform.api_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES platform.users (id),
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the secret, hex; the secret itself is never stored.
    token_hash text NOT NULL UNIQUE,
    -- The first characters of the secret, so a person can tell tokens apart; never enough to use one.
    display_prefix text NOT NULL,
    scopes text[] NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_user ON platform.api_tokens (user_id);
CREATE INDEX api_tokens_tenant ON platform.api_tokens (tenant_id);

-- The logins of the current tenant, for tenant roles: the row filter is the role itself
-- (current_user is the tenant role inside a tenant transaction), so no setting can widen it.
CREATE VIEW platform.tenant_logins WITH (security_barrier) AS
    SELECT u.id AS user_id, u.operator_id, u.username, u.email, u.role, u.status, u.last_login_at
    FROM platform.users u
    WHERE 'uplink_t_' || u.tenant_id = current_user;
GRANT SELECT ON platform.tenant_logins TO uplink_tenants;

-- Sign-in audit: successes, failures, throttling, logouts, token changes.
CREATE TABLE platform.auth_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    event text NOT NULL,
    user_id bigint,
    tenant_id bigint,
    username text,
    client_ip text,
    detail text
);
CREATE INDEX auth_events_user ON platform.auth_events (user_id, occurred_at);
