-- Customers of one tenant, their MAC bindings and the activity log. Runs with search_path set to the
-- tenant's schema.
--
-- Custom field values live in `customers.custom` (key → normalised text); deleting a field removes its
-- key from every customer in the same transaction.

CREATE SEQUENCE customer_codes;

CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL DEFAULT ('C' || lpad(nextval('customer_codes')::text, 6, '0'))
        CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$'),
    type text NOT NULL CHECK (type IN ('pppoe_daily', 'pppoe_monthly', 'hotspot', 'static_monthly', 'other')),
    operator_id bigint NOT NULL REFERENCES operators (id),
    username text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'),
    -- AES-GCM (key from configuration): PPPoE CHAP needs the password itself, so it is recoverable.
    password_enc bytea,
    full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    search_name text GENERATED ALWAYS AS (platform.fold(full_name)) STORED,
    -- Normalised: 01XXXXXXXXX for Bangladeshi mobiles, +<digits> otherwise.
    phone text CHECK (phone ~ '^(01[3-9][0-9]{8}|\+[1-9][0-9]{7,14})$'),
    email text CHECK (length(email) <= 254),
    house text CHECK (length(house) <= 100),
    road text CHECK (length(road) <= 100),
    area text CHECK (length(area) <= 100),
    thana text CHECK (length(thana) <= 100),
    district text CHECK (length(district) <= 100),
    division text CHECK (length(division) <= 100),
    zone_id bigint REFERENCES zones (id) ON DELETE SET NULL,
    package_id bigint REFERENCES catalog.packages (id),
    billing_profile_id bigint REFERENCES catalog.billing_profiles (id),
    nas_id bigint,
    static_ip inet,
    client_type text NOT NULL DEFAULT 'home' CHECK (client_type IN ('home', 'corporate', 'sme')),
    connection_type text NOT NULL DEFAULT 'wired' CHECK (connection_type IN ('wired', 'wireless')),
    connectivity text NOT NULL DEFAULT 'shared' CHECK (connectivity IN ('shared', 'dedicated')),
    gender text CHECK (gender IN ('male', 'female', 'other')),
    nid text CHECK (length(nid) <= 40),
    connection_date date NOT NULL DEFAULT current_date,
    expires_at timestamptz,
    suspend_date date,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'suspended', 'disabled')),
    status_reason text CHECK (length(status_reason) <= 200),
    custom jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom) = 'object'),
    notes text CHECK (length(notes) <= 5000),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    deleted_at timestamptz,
    deleted_by text,
    CHECK (type <> 'static_monthly' OR static_ip IS NOT NULL),
    CHECK (type NOT IN ('pppoe_monthly', 'static_monthly') OR billing_profile_id IS NOT NULL),
    CHECK (type NOT IN ('pppoe_daily', 'pppoe_monthly', 'hotspot') OR password_enc IS NOT NULL)
);
CREATE UNIQUE INDEX customers_code_key ON customers (lower(code));
CREATE UNIQUE INDEX customers_static_ip_key ON customers (static_ip) WHERE static_ip IS NOT NULL AND deleted_at IS NULL;

-- The list's default view and sorts (live customers of a status, newest first / by name / by expiry).
CREATE INDEX customers_live_created ON customers (status, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_name ON customers (status, search_name, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_expires ON customers (status, expires_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_zone ON customers (zone_id, status, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_package ON customers (package_id, status) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_operator ON customers (operator_id, status, created_at DESC, id DESC) WHERE deleted_at IS NULL;
-- Search: name fragments (trigrams), username prefix, phone prefix; custom fields by containment.
CREATE INDEX customers_name_trgm ON customers USING gin (search_name platform.gin_trgm_ops);
CREATE INDEX customers_username ON customers (lower(username) text_pattern_ops);
CREATE INDEX customers_phone ON customers (phone text_pattern_ops);
CREATE INDEX customers_custom ON customers USING gin (custom jsonb_path_ops);
CREATE INDEX customers_deleted ON customers (deleted_at DESC, id DESC) WHERE deleted_at IS NOT NULL;

-- Sub-resellers see only their own customers, enforced by the database; the tenant's owner sees all.
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_owner ON customers TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY customers_subreseller ON customers TO uplink_subresellers
    USING (platform.operator_visible(operator_id))
    WITH CHECK (platform.operator_visible(operator_id));

-- The platform username registry and cross-tenant index follow every statement.
CREATE TRIGGER customers_registry_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION platform.customers_registry_sync();
CREATE TRIGGER customers_registry_update AFTER UPDATE ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION platform.customers_registry_sync();
CREATE TRIGGER customers_registry_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION platform.customers_registry_sync();

-- Live customers per operator and status, kept exact by the statement triggers below, so the list's
-- per-status counts of an unfiltered view read a handful of rows instead of counting the whole table.
CREATE TABLE customer_counts (
    operator_id bigint NOT NULL,
    status text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (operator_id, status)
);
ALTER TABLE customer_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_counts_owner ON customer_counts TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY customer_counts_subreseller ON customer_counts TO uplink_subresellers
    USING (platform.operator_visible(operator_id)) WITH CHECK (platform.operator_visible(operator_id));

-- Adds what a statement changed to `customer_counts`. Security definer (the counts are bookkeeping, not a
-- sub-reseller's to write directly) with this schema pinned as its search path.
CREATE FUNCTION customer_counts_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customer_counts AS k (operator_id, status, n)
        SELECT operator_id, status, count(*) FROM new_rows WHERE deleted_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (operator_id, status) DO UPDATE SET n = k.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE customer_counts k SET n = k.n - d.n
        FROM (SELECT operator_id, status, count(*) AS n FROM old_rows WHERE deleted_at IS NULL GROUP BY 1, 2) d
        WHERE k.operator_id = d.operator_id AND k.status = d.status;
    ELSE
        INSERT INTO customer_counts AS k (operator_id, status, n)
        SELECT operator_id, status, sum(delta) FROM (
            SELECT operator_id, status, 1 AS delta FROM new_rows WHERE deleted_at IS NULL
            UNION ALL
            SELECT operator_id, status, -1 FROM old_rows WHERE deleted_at IS NULL
        ) changes
        GROUP BY 1, 2 HAVING sum(delta) <> 0 ORDER BY 1, 2
        ON CONFLICT (operator_id, status) DO UPDATE SET n = k.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER customers_counts_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_sync();
CREATE TRIGGER customers_counts_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_sync();
CREATE TRIGGER customers_counts_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_sync();

-- MAC bindings of a customer's devices. One MAC belongs to one customer per tenant.
CREATE TABLE customer_devices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    mac macaddr NOT NULL,
    label text CHECK (length(label) <= 100),
    added_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_devices_mac_key ON customer_devices (mac);
CREATE INDEX customer_devices_customer ON customer_devices (customer_id);

-- A device is visible exactly when its customer is (the subquery runs under the customers policy).
ALTER TABLE customer_devices ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_devices_owner ON customer_devices TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY customer_devices_subreseller ON customer_devices TO uplink_subresellers
    USING (EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id))
    WITH CHECK (EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id));

-- Every change to a customer: who (user or token), when, what, before/after of the changed fields.
-- `operator_id` is the customer's operator at the time, for row-level security.
CREATE TABLE activity_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    operator_id bigint NOT NULL,
    customer_id bigint,
    action text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    actor_user_id bigint,
    actor_token_id bigint,
    actor_username text NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}',
    request_id text,
    client_ip text
);
CREATE INDEX activity_log_customer ON activity_log (customer_id, id DESC);
CREATE INDEX activity_log_time ON activity_log (occurred_at DESC, id DESC);
CREATE INDEX activity_log_actor ON activity_log (actor_username, id DESC);

ALTER TABLE activity_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY activity_log_owner ON activity_log TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY activity_log_subreseller ON activity_log TO uplink_subresellers
    USING (platform.operator_visible(operator_id))
    WITH CHECK (platform.operator_visible(operator_id));
