-- Every request to end (or re-authorize) a subscriber's session on a router: who asked and why, which NAS
-- and session, how (RADIUS Disconnect, CoA, or the RouterOS API) and what the router answered.
CREATE TABLE platform.disconnects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    customer_id bigint NOT NULL,
    username text NOT NULL,
    nas_ip inet NOT NULL,
    acct_session_id text,
    method text NOT NULL CHECK (method IN ('disconnect', 'coa', 'api', 'none')),
    -- `on_demand` (the API), or the change that required it (`provisioning`).
    reason text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
    requested_by text NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 200),
    result text NOT NULL CHECK (result IN ('ack', 'nak', 'timeout', 'error', 'skipped')),
    detail text CHECK (length(detail) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disconnects_customer ON platform.disconnects (tenant_id, customer_id, created_at DESC);

ALTER TABLE platform.disconnects ENABLE ROW LEVEL SECURITY;
CREATE POLICY disconnects_tenant ON platform.disconnects FOR SELECT TO uplink_tenants
    USING (tenant_id = platform.current_tenant());
GRANT SELECT ON platform.disconnects TO uplink_tenants;
