-- The accounting poller reads what changed since its last tick by `acctupdatetime` (FreeRADIUS sets it on
-- every Start, Interim-Update, Stop and Accounting-On/Off, and a stale close sets it too), so each tick
-- reads a few rows through this index instead of scanning the table.
CREATE INDEX radacct_acctupdatetime ON radius.radacct (acctupdatetime);

-- A customer's session history: its username's sessions by start time.
CREATE INDEX radacct_username_start ON radius.radacct (username, acctstarttime);
