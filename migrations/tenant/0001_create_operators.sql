-- Operators of one tenant: its owner (the reseller, or the ISP in the admin tenant) and its sub-resellers.
-- Runs with search_path set to the tenant's schema.
CREATE TABLE operators (
    id bigint PRIMARY KEY DEFAULT nextval('platform.operator_ids'),
    parent_id bigint REFERENCES operators (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('owner', 'sub_reseller')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'owner') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX operators_one_owner ON operators (kind) WHERE kind = 'owner';
CREATE INDEX operators_parent ON operators (parent_id);

-- Sub-resellers see only their own rows, enforced by the database, not only by Swift code.
ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
CREATE POLICY operators_scope ON operators
    USING (platform.operator_visible(id))
    WITH CHECK (platform.operator_visible(id));

-- The tenant's owner operator, named after the tenant.
INSERT INTO operators (parent_id, name, kind)
SELECT NULL, t.name, 'owner' FROM platform.tenants t WHERE t.schema_name = current_schema();
