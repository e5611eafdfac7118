-- A tenant's column layout for a report (the BTRC listing): column keys and their headers, in order, so a
-- changed regulator format needs no code change. No row: the built-in default.
CREATE TABLE report_templates (
    kind text PRIMARY KEY CHECK (kind IN ('btrc')),
    columns jsonb NOT NULL CHECK (jsonb_typeof(columns) = 'array'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text
);
