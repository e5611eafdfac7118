-- The provisioning workers (role `uplink_provisioner`) read what a customer's network state is computed
-- from: the customer row and its MAC bindings. Read only, never written; every other tenant table stays
-- closed to them.
DO $grant$ BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO uplink_provisioner', current_schema());
END $grant$;
GRANT SELECT ON customers, customer_devices TO uplink_provisioner;

CREATE POLICY customers_provisioner ON customers FOR SELECT TO uplink_provisioner USING (true);
CREATE POLICY customer_devices_provisioner ON customer_devices FOR SELECT TO uplink_provisioner USING (true);
