-- Recharge cards (hotspot vouchers) of one tenant. Runs with search_path set to the tenant's schema.
--
-- A code is never stored or indexed in clear: `code_hash` (an HMAC under a key derived from the data key)
-- finds it, `code_enc` (AES-GCM) lets the batch be printed again. Redeeming one is one conditional UPDATE
-- (issued → used) in the transaction that recharges the customer, so of two redemptions of one code exactly
-- one succeeds, and a recharge that fails leaves the card unused.

CREATE TABLE voucher_batches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The operator whose card these are: its wallet pays when one is redeemed, like any recharge.
    operator_id bigint NOT NULL REFERENCES operators (id),
    package_id bigint NOT NULL REFERENCES catalog.packages (id),
    count integer NOT NULL CHECK (count BETWEEN 1 AND 10000),
    -- Face value: one validity period of the package at its customer price.
    value bigint NOT NULL CHECK (value >= 0),
    currency text NOT NULL DEFAULT 'BDT',
    distributor text CHECK (length(distributor) BETWEEN 1 AND 200),
    -- What the distributor keeps per card sold, in minor units.
    commission bigint NOT NULL DEFAULT 0 CHECK (commission >= 0),
    expires_at timestamptz NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voucher_batches_created ON voucher_batches (created_at DESC, id DESC);
ALTER TABLE voucher_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY voucher_batches_owner ON voucher_batches TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY voucher_batches_subreseller ON voucher_batches TO uplink_subresellers
    USING (platform.operator_visible(operator_id)) WITH CHECK (platform.operator_visible(operator_id));

CREATE TABLE vouchers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id bigint NOT NULL REFERENCES voucher_batches (id),
    operator_id bigint NOT NULL,
    serial integer NOT NULL,
    code_hash bytea NOT NULL UNIQUE,
    code_enc bytea NOT NULL,
    -- The last four characters, for telling cards apart on screen.
    code_hint text NOT NULL,
    state text NOT NULL DEFAULT 'unissued' CHECK (state IN ('unissued', 'issued', 'used', 'expired')),
    expires_at timestamptz NOT NULL,
    issued_at timestamptz,
    used_at timestamptz,
    customer_id bigint REFERENCES customers (id),
    recharge_id bigint REFERENCES recharges (id),
    UNIQUE (batch_id, serial)
);
CREATE INDEX vouchers_expiring ON vouchers (expires_at) WHERE state IN ('unissued', 'issued');
CREATE INDEX vouchers_customer ON vouchers (customer_id) WHERE customer_id IS NOT NULL;
ALTER TABLE vouchers ENABLE ROW LEVEL SECURITY;
CREATE POLICY vouchers_owner ON vouchers TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY vouchers_subreseller ON vouchers TO uplink_subresellers
    USING (platform.operator_visible(operator_id)) WITH CHECK (platform.operator_visible(operator_id));
