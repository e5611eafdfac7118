-- What provisioning needs at the platform level: the role its workers run as, each customer's
-- provisioning state, and the wake-up signal the outbox relay listens for.

-- The provisioning workers switch to this role (SET LOCAL ROLE) for every convergence: it can read what a
-- customer's network state is computed from and write the `radius` tables, nothing else. Roles are
-- cluster-wide; another database of the cluster may have made it already.
DO $role$ BEGIN
    BEGIN CREATE ROLE uplink_provisioner NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
    BEGIN GRANT uplink_provisioner TO CURRENT_USER;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $role$;

GRANT USAGE ON SCHEMA platform, catalog TO uplink_provisioner;
GRANT SELECT ON catalog.packages TO uplink_provisioner;
GRANT SELECT ON platform.tenants TO uplink_provisioner;

-- One row per customer the provisioning pipeline has seen. `requested_version` is the newest outbox row
-- relayed for the customer, `applied_version` the newest one a convergence has covered: the customer is
-- `in_sync` when applied ≥ requested and no session is left to end, `pending` while a job is queued or
-- waiting for its retry (or its sessions' Disconnect), `failed`
-- after the configured number of attempts (a reprovision or the reconciler queues it again).
-- `username` is the name the `radius` rows were last written under, so a rename or a purge removes the
-- old rows.
CREATE TABLE platform.provisioning_state (
    tenant_id bigint NOT NULL REFERENCES platform.tenants (id),
    customer_id bigint NOT NULL,
    username text,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('in_sync', 'pending', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text CHECK (length(last_error) <= 500),
    requested_version bigint NOT NULL DEFAULT 0,
    applied_version bigint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    -- The customer's rows changed while it had open sessions, and they have not all been ended (or told
    -- the new rate) yet: a retry of the job sends the requests again even though the rows are converged.
    disconnect_pending boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX provisioning_state_failed ON platform.provisioning_state (tenant_id, updated_at DESC, customer_id)
    WHERE state = 'failed';
CREATE INDEX provisioning_state_username ON platform.provisioning_state (username) WHERE username IS NOT NULL;

-- Tenants read their own customers' state (the customer record shows it); only the platform writes it.
ALTER TABLE platform.provisioning_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY provisioning_state_tenant ON platform.provisioning_state FOR SELECT TO uplink_tenants
    USING (tenant_id = platform.current_tenant());
CREATE POLICY provisioning_state_provisioner ON platform.provisioning_state TO uplink_provisioner
    USING (true) WITH CHECK (true);
GRANT SELECT ON platform.provisioning_state TO uplink_tenants;
GRANT SELECT, INSERT, UPDATE ON platform.provisioning_state TO uplink_provisioner;

-- Every statement that queues provisioning wakes the relay (LISTEN uplink_outbox); the relay also polls,
-- so a lost notification only delays a job.
CREATE FUNCTION platform.outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('uplink_outbox', '');
    RETURN NULL;
END
$fn$;
CREATE TRIGGER outbox_notify AFTER INSERT ON platform.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION platform.outbox_notify();
