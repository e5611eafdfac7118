-- The list across every status (the "All" tab, a search's default) in its two main orders: without these,
-- newest-first and by-name pages of all statuses sorted every live customer of the tenant per request (the
-- per-status indexes lead with the status). Deep pages walk them too.
CREATE INDEX customers_live_all_created ON customers (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX customers_live_all_name ON customers (search_name, id) WHERE deleted_at IS NULL;
