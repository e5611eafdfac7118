-- What billing needs at the platform level: the guard that keeps ledgers append-only, the scheduler's
-- leases (so two nodes never run one tenant's job at once, and a crashed node's lease runs out) and the
-- report of every job run.

-- Raised by the ledgers' statement triggers on UPDATE, DELETE or TRUNCATE: corrections are reversal entries.
CREATE FUNCTION platform.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'append_only',
        DETAIL = TG_TABLE_NAME || ' is append-only: post a reversal instead';
END
$fn$;
GRANT EXECUTE ON FUNCTION platform.refuse_change() TO uplink_tenants;

-- Half-up rounding of a non-negative amount × numerator ÷ denominator, once, at the end (the pro-rating
-- rule: price × days ÷ validity days). numeric keeps the product exact.
CREATE FUNCTION platform.prorate(amount bigint, numerator bigint, denominator bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
    SELECT floor((amount::numeric * numerator) / denominator + 0.5)::bigint
$fn$;
GRANT EXECUTE ON FUNCTION platform.prorate(bigint, bigint, bigint) TO uplink_tenants;

CREATE TABLE platform.job_leases (
    job text NOT NULL,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    holder text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (job, tenant_id)
);

CREATE TABLE platform.job_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job text NOT NULL,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    as_of timestamptz NOT NULL,
    holder text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    created integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    failed integer NOT NULL DEFAULT 0,
    failures jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX job_runs_job ON platform.job_runs (job, finished_at DESC);

-- A timestamp as the API writes it: `YYYY-MM-DDTHH:MM:SSZ` (UTC).
CREATE FUNCTION platform.iso(timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
    SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$fn$;
GRANT EXECUTE ON FUNCTION platform.iso(timestamptz) TO uplink_tenants;

-- A whole recharge request as one statement, for the API's hot path: enters the caller's tenant scope
-- (schema, role, operator visibility) for this transaction, answers the result stored under the
-- idempotency key if there is one, or runs the tenant's `recharge` and stores its result with the key.
-- Sent outside an explicit transaction, the statement is its own transaction and commits the moment it
-- ends, so the wallet rows every recharge of a tenant debits are not held locked for one more client round
-- trip until a COMMIT arrives. Invoker's rights and no SET clause, so the scope switch inside takes effect
-- (and ends with the transaction); only the application role may call it, and only into the roles of the
-- tenant it names.
CREATE FUNCTION platform.recharge_request(
    p_tenant bigint, p_role text, p_operators text, p_user bigint, p_key text, p_operator bigint, p_hash bytea, p_status integer,
    p_customer bigint, p_package bigint, p_days integer, p_periods integer, p_now timestamptz,
    p_actor text, p_actor_user bigint, p_actor_token bigint, p_request text, p_client text,
    p_pay_amount bigint, p_pay_method text, p_pay_reference text, p_pay_received timestamptz,
    OUT fresh text, OUT stored_hash bytea, OUT stored_status integer, OUT stored bytea
)
LANGUAGE plpgsql AS $fn$
BEGIN
    IF p_role NOT IN ('uplink_t_' || p_tenant, 'uplink_ts_' || p_tenant) THEN
        RAISE EXCEPTION 'role % is not a role of tenant %', p_role, p_tenant;
    END IF;
    PERFORM set_config('search_path', 't_' || p_tenant, true), set_config('role', p_role, true),
            set_config('uplink.tenant_id', p_tenant::text, true), set_config('uplink.operator_ids', p_operators, true);
    SELECT k.request_hash, k.status, k.response INTO stored_hash, stored_status, stored
    FROM idempotency_keys k WHERE k.user_id = p_user AND k.key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;
    fresh := recharge(p_customer, p_package, p_days, p_periods, p_now, 'recharge', p_actor, p_actor_user, p_actor_token, p_request, p_client,
                      p_pay_amount, p_pay_method, p_pay_reference, p_pay_received)::text;
    INSERT INTO idempotency_keys (user_id, key, operator_id, request_hash, status, response)
    VALUES (p_user, p_key, p_operator, p_hash, p_status, convert_to(fresh, 'UTF8'));
END
$fn$;
REVOKE ALL ON FUNCTION platform.recharge_request FROM PUBLIC;
