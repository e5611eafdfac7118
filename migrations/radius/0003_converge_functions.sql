-- Convergence: the provisioning worker computes the rows each username should have and hands them over
-- in arrays; these functions write only the difference (delete what is not wanted, including duplicate
-- copies of a wanted row, insert what is missing), so a run over an already-converged user writes nothing.
-- Invoker's rights: they run as the worker's role (`uplink_provisioner`), which may write these tables.

-- One attribute table for a set of owners: radcheck or radreply (owner: username) or radgroupcheck or
-- radgroupreply (owner: groupname). `owners` are the names being converged, the other arrays their wanted
-- rows. Returns the owners whose rows changed (a row deleted or inserted), each once.
CREATE FUNCTION radius.converge_attributes(
    tbl text, owners text[], wanted_owners text[], attributes text[], ops text[], vals text[]
) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    owner_column text;
    removed text[];
    added text[];
BEGIN
    owner_column := CASE WHEN tbl IN ('radcheck', 'radreply') THEN 'username'
                         WHEN tbl IN ('radgroupcheck', 'radgroupreply') THEN 'groupname' END;
    IF owner_column IS NULL THEN
        RAISE EXCEPTION 'unknown attribute table %', tbl;
    END IF;
    EXECUTE format($q$
        WITH gone AS (
            DELETE FROM radius.%1$I r WHERE r.id IN (
                SELECT x.id
                FROM (SELECT c.id, c.%2$I AS owner, c.attribute, c.op, c.value,
                             row_number() OVER (PARTITION BY c.%2$I, c.attribute, c.op, c.value ORDER BY c.id) AS copy
                      FROM radius.%1$I c WHERE c.%2$I = ANY($1)) x
                LEFT JOIN unnest($2, $3, $4, $5) w(owner, attribute, op, value)
                    ON w.owner = x.owner AND w.attribute = x.attribute AND w.op = x.op AND w.value = x.value
                WHERE w.owner IS NULL OR x.copy > 1)
            RETURNING r.%2$I AS owner)
        SELECT coalesce(array_agg(DISTINCT owner), '{}') FROM gone
        $q$, tbl, owner_column) INTO removed USING owners, wanted_owners, attributes, ops, vals;
    EXECUTE format($q$
        WITH made AS (
            INSERT INTO radius.%1$I (%2$I, attribute, op, value)
            SELECT DISTINCT w.owner, w.attribute, w.op, w.value
            FROM unnest($1, $2, $3, $4) w(owner, attribute, op, value)
            LEFT JOIN radius.%1$I r ON r.%2$I = w.owner AND r.attribute = w.attribute AND r.op = w.op AND r.value = w.value
            WHERE r.id IS NULL
            RETURNING %2$I AS owner)
        SELECT coalesce(array_agg(DISTINCT owner), '{}') FROM made
        $q$, tbl, owner_column) INTO added USING wanted_owners, attributes, ops, vals;
    RETURN ARRAY(SELECT DISTINCT o FROM unnest(removed || added) o);
END
$fn$;

-- Group memberships (radusergroup) for a set of usernames; returns the usernames whose memberships changed.
CREATE FUNCTION radius.converge_groups(names text[], users text[], groupnames text[], priorities integer[])
RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    removed text[];
    added text[];
BEGIN
    WITH gone AS (
    DELETE FROM radius.radusergroup r WHERE r.id IN (
        SELECT x.id
        FROM (SELECT g.id, g.username, g.groupname, g.priority,
                     row_number() OVER (PARTITION BY g.username, g.groupname, g.priority ORDER BY g.id) AS copy
              FROM radius.radusergroup g WHERE g.username = ANY(names)) x
        LEFT JOIN unnest(users, groupnames, priorities) w(username, groupname, priority)
            ON w.username = x.username AND w.groupname = x.groupname AND w.priority = x.priority
        WHERE w.username IS NULL OR x.copy > 1)
    RETURNING r.username)
    SELECT coalesce(array_agg(DISTINCT username), '{}') INTO removed FROM gone;
    WITH made AS (
    INSERT INTO radius.radusergroup (username, groupname, priority)
    SELECT DISTINCT w.username, w.groupname, w.priority
    FROM unnest(users, groupnames, priorities) w(username, groupname, priority)
    LEFT JOIN radius.radusergroup r ON r.username = w.username AND r.groupname = w.groupname AND r.priority = w.priority
    WHERE r.id IS NULL
    RETURNING username)
    SELECT coalesce(array_agg(DISTINCT username), '{}') INTO added FROM made;
    RETURN ARRAY(SELECT DISTINCT u FROM unnest(removed || added) u);
END
$fn$;

REVOKE ALL ON FUNCTION radius.converge_attributes(text, text[], text[], text[], text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION radius.converge_groups(text[], text[], text[], integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION radius.converge_attributes(text, text[], text[], text[], text[], text[]) TO uplink_provisioner;
GRANT EXECUTE ON FUNCTION radius.converge_groups(text[], text[], text[], integer[]) TO uplink_provisioner;
