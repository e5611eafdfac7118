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
