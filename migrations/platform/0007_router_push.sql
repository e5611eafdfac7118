-- What the platform keeps on the routers themselves: the configuration it pushes (RADIUS client, incoming
-- CoA, PPP profiles, IP pools) and, per static-IP customer, a simple queue and a firewall address-list
-- entry converged like the RADIUS rows.

-- The address ranges of the IP pools the packages name, per router (one pool name usually stands for other
-- addresses on each router). The admin sets them with the configuration push.
CREATE TABLE platform.router_pools (
    router_id bigint NOT NULL REFERENCES platform.routers (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    -- RouterOS' own form: `10.10.0.2-10.10.255.254,10.11.0.0/24`.
    ranges text NOT NULL CHECK (length(ranges) BETWEEN 7 AND 1000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (router_id, name)
);

-- The last configuration push, like the last connection test.
ALTER TABLE platform.routers
    ADD COLUMN last_configure_at timestamptz,
    ADD COLUMN last_configure_ok boolean,
    ADD COLUMN last_configure_message text CHECK (length(last_configure_message) <= 500);
GRANT SELECT (last_configure_at, last_configure_ok, last_configure_message) ON platform.routers TO uplink_tenants;

-- A static-IP customer's queue and address-list entry are written on its router after the RADIUS rows'
-- transaction commits. `router_pending`: that step has not succeeded yet for the newest convergence (the
-- customer stays `pending`, a retry does it again). `router_id`: the router its entries were last written
-- to, so a move to another router (or the end of its service) removes them from the old one.
ALTER TABLE platform.provisioning_state
    ADD COLUMN router_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN router_id bigint;
CREATE INDEX provisioning_state_router ON platform.provisioning_state (router_id, tenant_id) WHERE router_id IS NOT NULL;
