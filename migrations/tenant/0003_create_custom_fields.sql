-- Extra customer fields a tenant defines. Values (on customers) come with the customers table and are
-- deleted with their field (ON DELETE CASCADE there).
CREATE TABLE custom_fields (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'textarea', 'select')),
    options text[] NOT NULL DEFAULT '{}',
    required boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'select') = (cardinality(options) > 0))
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields (key);
