-- Customer zones of one tenant (areas, POPs). Names are unique per tenant, case-insensitively.
-- Customers will reference them with ON DELETE SET NULL, so deleting a zone clears it on its customers.
CREATE TABLE zones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text CHECK (description IS NULL OR length(description) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX zones_name_key ON zones (lower(name));
