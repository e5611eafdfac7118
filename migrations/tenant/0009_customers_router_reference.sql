-- A customer's router (`nas_id`) is one of the ISP's routers (platform.routers). The service checks that
-- the router is visible to the tenant; this key keeps the reference sound under concurrency: a router
-- being deleted is locked against new references, and the customers it still names when it goes (only
-- soft-deleted ones: live customers refuse the deletion) lose the reference.
--
-- The index comes first, so the lock this key takes on platform.routers is held only for the moment the
-- key is added. NOT VALID: values written before routers existed are not checked (new writes are).
CREATE INDEX customers_nas ON customers (nas_id) WHERE nas_id IS NOT NULL;
ALTER TABLE customers ADD CONSTRAINT customers_nas_id_fkey
    FOREIGN KEY (nas_id) REFERENCES platform.routers (id) ON DELETE SET NULL NOT VALID;
