-- The tables FreeRADIUS's rlm_sql (PostgreSQL dialect) reads and writes, in schema `radius`, and the two
-- roles that may touch them. What this file guarantees:
--
-- * Column names are the ones rlm_sql's result handling and our queries (infra/freeradius/) expect:
--   check/reply rows are (id, username, attribute, op, value), ordered by id; groups are joined through
--   radusergroup by priority; clients come from `nas` (id, nasname, shortname, type, secret, server).
-- * `radpostauth` has no password column: neither the typed password nor any hash of it is ever kept.
-- * One accounting row per session (`acctuniqueid` is unique). A session is open while `acctstoptime`
--   IS NULL; partial indexes cover the open sessions of a user (simultaneous-use count, online lists) and
--   of a NAS (Accounting-On/Off closes them all). Octet counters are bigint and hold the 64-bit value
--   (Acct-*-Gigawords << 32 + Acct-*-Octets).
-- * `uplink_radius` (the role FreeRADIUS logs in as) reads every table and writes only accounting and
--   post-auth rows. `uplink_provisioner` (NOLOGIN; the application switches to it with SET LOCAL ROLE)
--   manages users, groups and NAS rows, may close stale sessions, and reads the post-auth log. The
--   application role is made a member of `uplink_provisioner` so it can switch to it.
--
-- Roles are cluster-wide: they are created only when missing, and other databases of the cluster (copies
-- of a migrated template) share them. Their privileges on these tables live in this database.

DO $roles$ BEGIN
    BEGIN CREATE ROLE uplink_radius NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
    BEGIN CREATE ROLE uplink_provisioner NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $roles$;

-- The operators FreeRADIUS understands in check and reply items.
CREATE DOMAIN radius.attribute_op AS varchar(2)
    CHECK (VALUE IN ('=', ':=', '==', '+=', '!=', '>', '>=', '<', '<=', '=~', '!~', '=*', '!*'));

-- Per-user check items (Cleartext-Password, Simultaneous-Use, Expiration, Calling-Station-Id, ...).
CREATE TABLE radius.radcheck (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    attribute text NOT NULL,
    op radius.attribute_op NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX radcheck_username_attribute ON radius.radcheck (username, attribute);

-- Per-user reply items (Framed-IP-Address, Mikrotik-Rate-Limit overrides, ...).
CREATE TABLE radius.radreply (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    attribute text NOT NULL,
    op radius.attribute_op NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX radreply_username_attribute ON radius.radreply (username, attribute);

-- Per-group (package) check items.
CREATE TABLE radius.radgroupcheck (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    groupname text NOT NULL,
    attribute text NOT NULL,
    op radius.attribute_op NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX radgroupcheck_groupname_attribute ON radius.radgroupcheck (groupname, attribute);

-- Per-group (package) reply items (rate limit, address pool, ...).
CREATE TABLE radius.radgroupreply (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    groupname text NOT NULL,
    attribute text NOT NULL,
    op radius.attribute_op NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX radgroupreply_groupname_attribute ON radius.radgroupreply (groupname, attribute);

-- Group membership; lower priority is read first.
CREATE TABLE radius.radusergroup (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    groupname text NOT NULL,
    priority integer NOT NULL DEFAULT 1
);
CREATE INDEX radusergroup_username ON radius.radusergroup (username);

-- Accounting: one row per session, opened by Start (or the first Interim-Update) and closed by Stop or
-- by the NAS's Accounting-On/Off.
CREATE TABLE radius.radacct (
    radacctid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    acctsessionid text NOT NULL,
    acctuniqueid text NOT NULL,
    username text,
    realm text,
    nasipaddress inet NOT NULL,
    nasportid text,
    nasporttype text,
    acctstarttime timestamptz,
    acctupdatetime timestamptz,
    acctstoptime timestamptz,
    acctinterval bigint,
    acctsessiontime bigint,
    acctauthentic text,
    connectinfo_start text,
    connectinfo_stop text,
    acctinputoctets bigint,
    acctoutputoctets bigint,
    calledstationid text,
    callingstationid text,
    acctterminatecause text,
    servicetype text,
    framedprotocol text,
    framedipaddress inet,
    framedipv6address inet,
    framedipv6prefix inet,
    framedinterfaceid text,
    delegatedipv6prefix inet,
    class text
);
CREATE UNIQUE INDEX radacct_acctuniqueid ON radius.radacct (acctuniqueid);
CREATE INDEX radacct_open_by_username ON radius.radacct (username) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_open_by_nas ON radius.radacct (nasipaddress) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_acctstarttime ON radius.radacct (acctstarttime);
CREATE INDEX radacct_open_by_update ON radius.radacct (acctupdatetime) WHERE acctstoptime IS NULL;

-- The outcome of every authentication. Deliberately without the password.
CREATE TABLE radius.radpostauth (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    -- 'Access-Accept' or 'Access-Reject'.
    reply text NOT NULL,
    authdate timestamptz NOT NULL DEFAULT now(),
    nasipaddress inet,
    calledstationid text,
    callingstationid text,
    replymessage text
);
CREATE INDEX radpostauth_username_authdate ON radius.radpostauth (username, authdate);

-- RADIUS clients (the routers), read by FreeRADIUS at start-up. `server` empty or NULL: any virtual server.
CREATE TABLE radius.nas (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- An address or a CIDR prefix; FreeRADIUS refuses two clients with the same one.
    nasname text NOT NULL UNIQUE,
    shortname text NOT NULL,
    type text NOT NULL DEFAULT 'other',
    ports integer,
    secret text NOT NULL,
    server text,
    community text,
    description text
);

-- When each NAS last rebooted (the standard schema keeps it; sessions older than that are stale).
CREATE TABLE radius.nasreload (
    nasipaddress inet PRIMARY KEY,
    reloadtime timestamptz NOT NULL
);

-- FreeRADIUS: read everything, write accounting and the post-auth log.
GRANT USAGE ON SCHEMA radius TO uplink_radius;
GRANT SELECT ON radius.radcheck, radius.radreply, radius.radgroupcheck, radius.radgroupreply,
    radius.radusergroup, radius.radacct, radius.radpostauth, radius.nas, radius.nasreload TO uplink_radius;
GRANT INSERT, UPDATE ON radius.radacct TO uplink_radius;
GRANT INSERT ON radius.radpostauth TO uplink_radius;

-- Provisioning: manage users, groups and clients; close stale sessions; read the post-auth log.
GRANT USAGE ON SCHEMA radius TO uplink_provisioner;
GRANT SELECT, INSERT, UPDATE, DELETE ON radius.radcheck, radius.radreply, radius.radgroupcheck,
    radius.radgroupreply, radius.radusergroup, radius.nas, radius.nasreload TO uplink_provisioner;
GRANT SELECT, UPDATE ON radius.radacct TO uplink_provisioner;
GRANT SELECT ON radius.radpostauth TO uplink_provisioner;

-- Identity columns draw from their sequences without a privilege check; the grants keep explicit
-- nextval()/currval() working too.
DO $sequences$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT table_name, column_name, grantee FROM (VALUES
            ('radacct', 'radacctid', 'uplink_radius'),
            ('radpostauth', 'id', 'uplink_radius'),
            ('radcheck', 'id', 'uplink_provisioner'),
            ('radreply', 'id', 'uplink_provisioner'),
            ('radgroupcheck', 'id', 'uplink_provisioner'),
            ('radgroupreply', 'id', 'uplink_provisioner'),
            ('radusergroup', 'id', 'uplink_provisioner'),
            ('nas', 'id', 'uplink_provisioner')
        ) AS s (table_name, column_name, grantee)
    LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I',
            pg_get_serial_sequence(format('radius.%I', t.table_name), t.column_name), t.grantee);
    END LOOP;
END $sequences$;

-- Let the application role switch to the provisioning role. Membership is cluster-wide and may exist
-- already; a concurrent grant from another database's migration is not an error either.
DO $membership$ BEGIN
    IF NOT pg_has_role(current_user, 'uplink_provisioner', 'MEMBER') THEN
        GRANT uplink_provisioner TO CURRENT_USER;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $membership$;
