-- The reconciler's router pass reads every static-IP customer of the tenant (their queues and address
-- lists live on the routers); few customers are, so a small partial index finds them without a scan.
CREATE INDEX customers_static ON customers (id) WHERE type = 'static_monthly';
