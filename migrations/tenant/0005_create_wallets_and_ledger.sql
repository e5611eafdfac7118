-- Money of one tenant: operator wallets, the append-only ledger, prepaid recharges with what each level
-- paid for them, customer payments and idempotency keys. Runs with search_path set to the tenant's schema.
--
-- Sign convention: an account's balance is the sum of its entries, credits positive. A wallet top-up is
-- wallet +a / funding −a; a charge is wallet −p / income +p; every posting (entries sharing `posting_id`)
-- sums to zero. Who pays whom: a sub-reseller's wallet is held by the tenant's owner (the reseller), the
-- owner's wallet by the ISP; the ISP (the admin tenant's owner) has none. A charge debits one wallet per
-- level, each at that level's operator price, in one transaction.
--
-- Writes that cross operators (a sub-reseller's sale also debits its owner's wallet) go through the
-- security-definer functions below; a sub-reseller's role may only read its own rows.

CREATE TABLE wallets (
    operator_id bigint PRIMARY KEY REFERENCES operators (id),
    mode text NOT NULL DEFAULT 'prepaid' CHECK (mode IN ('prepaid', 'postpaid')),
    -- Minor units. Prepaid: money held (never below zero). Postpaid: negative = owed to the parent.
    balance bigint NOT NULL DEFAULT 0,
    credit_limit bigint NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
    currency text NOT NULL DEFAULT 'BDT' CHECK (currency ~ '^[A-Z]{3}$'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallets_within_limit CHECK (CASE mode WHEN 'prepaid' THEN balance >= 0 ELSE balance >= -credit_limit END)
);
ALTER TABLE wallets ENABLE ROW LEVEL SECURITY;
CREATE POLICY wallets_owner ON wallets TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY wallets_subreseller ON wallets FOR SELECT TO uplink_subresellers USING (platform.operator_visible(operator_id));

-- Every operator that has a parent gets a wallet when it is created: sub-resellers, and a reseller
-- tenant's owner.
CREATE FUNCTION open_wallets() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    INSERT INTO wallets (operator_id, currency)
    SELECT n.id, t.currency
    FROM new_rows n JOIN platform.tenants t ON t.schema_name = current_schema()
    WHERE n.kind = 'sub_reseller' OR t.kind = 'reseller'
    ORDER BY n.id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER operators_open_wallets AFTER INSERT ON operators
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_wallets();
INSERT INTO wallets (operator_id, currency)
SELECT o.id, t.currency FROM operators o JOIN platform.tenants t ON t.schema_name = current_schema()
WHERE o.kind = 'sub_reseller' OR t.kind = 'reseller';

CREATE SEQUENCE postings;

CREATE TABLE ledger_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    posting_id bigint NOT NULL,
    -- wallet: an operator's wallet; operator_income: what the owner earns from its sub-resellers;
    -- isp_income: what the owner pays the ISP; funding: top-ups and settlements received by the parent;
    -- collections: money an operator received from customers; sales: what customers bought;
    -- customer: a monthly customer's account (negative: owes; positive: advance credit); vat_payable.
    account text NOT NULL CHECK (account IN ('wallet', 'operator_income', 'isp_income', 'funding', 'collections', 'sales',
                                             'customer', 'vat_payable')),
    -- The operator whose account it is (for isp_income: the owner who pays the ISP).
    operator_id bigint NOT NULL,
    customer_id bigint,
    amount bigint NOT NULL CHECK (amount <> 0),
    currency text NOT NULL DEFAULT 'BDT' CHECK (currency ~ '^[A-Z]{3}$'),
    kind text NOT NULL CHECK (kind IN ('topup', 'settlement', 'recharge', 'refund', 'payment', 'invoice', 'void')),
    method text CHECK (method IN ('cash', 'bank', 'mobile_money')),
    -- What the entry is about: a recharge, a wallet transfer, a payment, an invoice, or a batch of invoices
    -- (source_id: the posting) for the entries a scheduler batch sums per operator.
    source_type text NOT NULL CHECK (source_type IN ('recharge', 'transfer', 'payment', 'invoice', 'invoice_batch')),
    source_id bigint NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, operator_id, id);
CREATE INDEX ledger_entries_posting ON ledger_entries (posting_id);
CREATE INDEX ledger_entries_customer ON ledger_entries (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION platform.refuse_change();
ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_entries_owner ON ledger_entries TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY ledger_entries_subreseller ON ledger_entries FOR SELECT TO uplink_subresellers
    USING (platform.operator_visible(operator_id));

-- Top-ups of a prepaid wallet and settlements of a postpaid one, by the wallet's parent.
CREATE TABLE wallet_transfers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id bigint NOT NULL REFERENCES wallets (operator_id),
    kind text NOT NULL CHECK (kind IN ('topup', 'settlement')),
    amount bigint NOT NULL CHECK (amount > 0),
    method text NOT NULL CHECK (method IN ('cash', 'bank', 'mobile_money')),
    reference text CHECK (length(reference) BETWEEN 1 AND 100),
    note text CHECK (length(note) <= 500),
    balance_after bigint NOT NULL,
    posting_id bigint NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_transfers_operator ON wallet_transfers (operator_id, id DESC);
ALTER TABLE wallet_transfers ENABLE ROW LEVEL SECURITY;
CREATE POLICY wallet_transfers_owner ON wallet_transfers TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY wallet_transfers_subreseller ON wallet_transfers FOR SELECT TO uplink_subresellers
    USING (platform.operator_visible(operator_id));

-- Money customers paid their operator.
CREATE TABLE payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    operator_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    method text NOT NULL CHECK (method IN ('cash', 'bank', 'mobile_money')),
    -- A mobile-money transaction id or a bank reference: one payment per reference and method.
    reference text CHECK (length(reference) BETWEEN 1 AND 100),
    received_at timestamptz NOT NULL,
    -- What is not yet allocated to invoices: a monthly customer's advance credit.
    unallocated bigint NOT NULL DEFAULT 0,
    posting_id bigint NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (unallocated BETWEEN 0 AND amount)
);
CREATE UNIQUE INDEX payments_reference_key ON payments (method, lower(reference)) WHERE reference IS NOT NULL;
CREATE INDEX payments_customer ON payments (customer_id, id DESC);
CREATE INDEX payments_received ON payments (received_at DESC, id DESC);
CREATE INDEX payments_unallocated ON payments (customer_id, id) WHERE unallocated > 0;
ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY payments_owner ON payments TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY payments_subreseller ON payments FOR SELECT TO uplink_subresellers USING (platform.operator_visible(operator_id));

-- Validity bought for a prepaid customer (days, or hours for an hours package).
CREATE TABLE recharges (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    operator_id bigint NOT NULL,
    package_id bigint NOT NULL REFERENCES catalog.packages (id),
    days integer CHECK (days > 0),
    hours integer CHECK (hours > 0),
    expires_before timestamptz,
    expires_after timestamptz NOT NULL,
    -- What the customer owes for it: the package price pro-rated the same way.
    customer_price bigint NOT NULL CHECK (customer_price >= 0),
    currency text NOT NULL DEFAULT 'BDT',
    payment_id bigint REFERENCES payments (id),
    -- Whole days given back when the customer was suspended, disabled or deleted early.
    refunded_days integer NOT NULL DEFAULT 0,
    source text NOT NULL CHECK (source IN ('recharge', 'create', 'voucher')),
    posting_id bigint NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((days IS NULL) <> (hours IS NULL)),
    CHECK (refunded_days BETWEEN 0 AND coalesce(days, 0))
);
CREATE INDEX recharges_customer ON recharges (customer_id, id DESC);
ALTER TABLE recharges ENABLE ROW LEVEL SECURITY;
CREATE POLICY recharges_owner ON recharges TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY recharges_subreseller ON recharges FOR SELECT TO uplink_subresellers USING (platform.operator_visible(operator_id));

-- What each level's wallet paid for a recharge, and how much of it was refunded.
CREATE TABLE wallet_charges (
    recharge_id bigint NOT NULL REFERENCES recharges (id),
    level integer NOT NULL CHECK (level IN (1, 2)),
    operator_id bigint NOT NULL,
    -- Who earned it: the owner for a sub-reseller's charge, NULL (the ISP) for the owner's.
    earner_id bigint,
    amount bigint NOT NULL CHECK (amount >= 0),
    refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (recharge_id, level),
    CHECK (refunded BETWEEN 0 AND amount)
);
ALTER TABLE wallet_charges ENABLE ROW LEVEL SECURITY;
CREATE POLICY wallet_charges_owner ON wallet_charges TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY wallet_charges_subreseller ON wallet_charges FOR SELECT TO uplink_subresellers
    USING (platform.operator_visible(operator_id));

-- The first result of every money-moving request, per login and `Idempotency-Key`: a retry gets it back.
CREATE TABLE idempotency_keys (
    user_id bigint NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operator_id bigint NOT NULL,
    -- SHA-256 of the operation and the request body: the same key with another request is refused.
    request_hash bytea NOT NULL,
    status integer,
    response bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_owner ON idempotency_keys TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY idempotency_keys_subreseller ON idempotency_keys TO uplink_subresellers
    USING (platform.operator_visible(operator_id)) WITH CHECK (platform.operator_visible(operator_id));

-- The wallets a sale of `p_package` by `p_operator` is charged to, bottom up: a sub-reseller pays its owner
-- its assignment price (level 1); a reseller tenant's owner pays the ISP its own (level 2). The ISP pays
-- nobody. A NULL price means the package is not assigned at that level.
CREATE FUNCTION charge_levels(p_operator bigint, p_package bigint)
RETURNS TABLE (level integer, wallet_id bigint, earner_id bigint, price bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT 1, o.id, o.parent_id,
           (SELECT a.price FROM catalog.package_assignments a WHERE a.package_id = p_package AND a.operator_id = o.id)
    FROM operators o WHERE o.id = p_operator AND o.kind = 'sub_reseller'
    UNION ALL
    SELECT 2, o.id, NULL::bigint,
           (SELECT a.price FROM catalog.package_assignments a WHERE a.package_id = p_package AND a.operator_id = o.id)
    FROM operators o JOIN platform.tenants t ON t.schema_name = current_schema() AND t.kind = 'reseller'
    WHERE o.kind = 'owner' AND EXISTS (SELECT 1 FROM operators x WHERE x.id = p_operator)
    ORDER BY 1
$fn$;

-- Raises the wallet error for a debit of `p_amount` that `p_wallet` cannot take.
CREATE FUNCTION refuse_debit(p_wallet bigint, p_amount bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    w wallets%ROWTYPE;
BEGIN
    SELECT * INTO w FROM wallets WHERE operator_id = p_wallet;
    IF w.mode = 'postpaid' THEN
        RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'credit_limit_reached',
            DETAIL = format('operator %s: outstanding %s + %s would pass the credit limit %s', p_wallet, -w.balance, p_amount, w.credit_limit);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'insufficient_balance',
        DETAIL = format('operator %s: balance %s is less than %s', p_wallet, coalesce(w.balance, 0), p_amount);
END
$fn$;

-- One prepaid recharge, all or nothing: checks, extends validity from max(now, expiry) to the minute, sets
-- the customer active, records the payment if given, writes the activity and outbox rows and debits each
-- level's wallet at its operator price (last, so the wallet rows stay locked as briefly as possible).
-- `p_days`: days of a days package, priced price × days ÷ validity days, rounded half up once;
-- otherwise `p_periods` whole validity periods at price × periods.
CREATE FUNCTION recharge(
    p_customer bigint, p_package bigint, p_days integer, p_periods integer, p_now timestamptz, p_source text,
    p_actor text, p_actor_user bigint, p_actor_token bigint, p_request text, p_client text,
    p_pay_amount bigint, p_pay_method text, p_pay_reference text, p_pay_received timestamptz
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    c customers%ROWTYPE;
    pkg catalog.packages%ROWTYPE;
    v_tenant bigint := substr(current_schema(), 3)::bigint;
    v_package bigint;
    v_days integer;
    v_hours integer;
    v_num bigint;
    v_den bigint;
    v_from timestamptz;
    v_to timestamptz;
    v_posting bigint := nextval('postings');
    v_recharge bigint;
    v_payment bigint;
    v_price bigint;
    v_amount bigint;
    v_changes jsonb;
    v_charges jsonb := '[]';
    lvl record;
BEGIN
    SELECT * INTO c FROM customers
    WHERE id = p_customer AND deleted_at IS NULL AND platform.operator_visible(operator_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'UB404', MESSAGE = 'customer';
    END IF;
    IF c.type NOT IN ('pppoe_daily', 'hotspot') THEN
        RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'not_prepaid', HINT = 'type',
            DETAIL = c.type || ' customers are billed by invoice, not recharged';
    END IF;
    v_package := coalesce(p_package, c.package_id);
    SELECT * INTO pkg FROM catalog.packages WHERE id = v_package AND status = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'unknown_reference', HINT = 'package_id', DETAIL = 'no such active package';
    END IF;
    IF pkg.customer_type <> c.type THEN
        RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'package_type_mismatch', HINT = 'package_id',
            DETAIL = 'the package is not for ' || c.type || ' customers';
    END IF;
    IF p_days IS NOT NULL THEN
        IF pkg.validity_days IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'days_not_applicable', HINT = 'days',
                DETAIL = 'the package''s validity is not in days: recharge by periods';
        END IF;
        v_days := p_days;
        v_num := p_days;
        v_den := pkg.validity_days;
    ELSIF pkg.validity_days IS NOT NULL THEN
        v_days := p_periods * pkg.validity_days;
        v_num := p_periods;
        v_den := 1;
    ELSIF pkg.validity_hours IS NOT NULL THEN
        v_hours := p_periods * pkg.validity_hours;
        v_num := p_periods;
        v_den := 1;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'no_validity', HINT = 'package_id', DETAIL = 'the package has no validity to sell';
    END IF;

    v_from := date_trunc('minute', greatest(p_now, coalesce(c.expires_at, p_now)));
    v_to := v_from + make_interval(days => coalesce(v_days, 0), hours => coalesce(v_hours, 0));
    v_price := platform.prorate(pkg.price, v_num, v_den);

    IF p_pay_amount IS NOT NULL THEN
        BEGIN
            INSERT INTO payments (customer_id, operator_id, amount, method, reference, received_at, posting_id, actor)
            VALUES (c.id, c.operator_id, p_pay_amount, p_pay_method, p_pay_reference, coalesce(p_pay_received, p_now), v_posting, p_actor)
            RETURNING id INTO v_payment;
        EXCEPTION WHEN unique_violation THEN
            RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'payment_reference_used',
                DETAIL = 'a ' || p_pay_method || ' payment with this reference is already recorded';
        END;
    END IF;

    INSERT INTO recharges (customer_id, operator_id, package_id, days, hours, expires_before, expires_after, customer_price, currency,
                           payment_id, source, posting_id, actor)
    VALUES (c.id, c.operator_id, v_package, v_days, v_hours, c.expires_at, v_to, v_price, pkg.currency, v_payment, p_source, v_posting, p_actor)
    RETURNING id INTO v_recharge;
    IF v_payment IS NOT NULL THEN
        INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, method, source_type, source_id, actor)
        VALUES (v_posting, 'collections', c.operator_id, c.id, -p_pay_amount, pkg.currency, 'payment', p_pay_method, 'payment', v_payment, p_actor),
               (v_posting, 'sales', c.operator_id, c.id, p_pay_amount, pkg.currency, 'payment', p_pay_method, 'payment', v_payment, p_actor);
    END IF;

    UPDATE customers SET expires_at = v_to, status = 'active', status_reason = NULL, package_id = v_package,
        updated_at = now(), updated_by = p_actor
    WHERE id = c.id;
    v_changes := jsonb_build_object('expires_at', jsonb_build_object('from', platform.iso(c.expires_at), 'to', platform.iso(v_to)),
        'recharge', jsonb_build_object('id', v_recharge, 'days', v_days, 'hours', v_hours, 'customer_price', v_price));
    IF c.status <> 'active' THEN
        v_changes := v_changes || jsonb_build_object('status', jsonb_build_object('from', c.status, 'to', 'active'));
    END IF;
    IF c.package_id IS DISTINCT FROM v_package THEN
        v_changes := v_changes || jsonb_build_object('package_id', jsonb_build_object('from', c.package_id, 'to', v_package));
    END IF;
    INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
    VALUES (c.operator_id, c.id, 'recharge', p_actor_user, p_actor_token, p_actor, v_changes, p_request, p_client);
    INSERT INTO platform.outbox (tenant_id, customer_id, reason) VALUES (v_tenant, c.id, 'recharge');

    -- Wallets last, bottom level first (every writer locks them in this order).
    FOR lvl IN SELECT * FROM charge_levels(c.operator_id, v_package) LOOP
        IF lvl.price IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'package_not_assigned', HINT = 'package_id',
                DETAIL = format('the package is not assigned to operator %s', lvl.wallet_id);
        END IF;
        v_amount := platform.prorate(lvl.price, v_num, v_den);
        INSERT INTO wallet_charges (recharge_id, level, operator_id, earner_id, amount)
        VALUES (v_recharge, lvl.level, lvl.wallet_id, lvl.earner_id, v_amount);
        IF v_amount > 0 THEN
            INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, source_type, source_id, actor)
            VALUES (v_posting, 'wallet', lvl.wallet_id, c.id, -v_amount, pkg.currency, 'recharge', 'recharge', v_recharge, p_actor),
                   (v_posting, CASE WHEN lvl.earner_id IS NULL THEN 'isp_income' ELSE 'operator_income' END,
                    coalesce(lvl.earner_id, lvl.wallet_id), c.id, v_amount, pkg.currency, 'recharge', 'recharge', v_recharge, p_actor);
            UPDATE wallets SET balance = balance - v_amount, updated_at = now()
            WHERE operator_id = lvl.wallet_id
              AND CASE mode WHEN 'prepaid' THEN balance >= v_amount ELSE balance - v_amount >= -credit_limit END;
            IF NOT FOUND THEN
                PERFORM refuse_debit(lvl.wallet_id, v_amount);
            END IF;
        END IF;
        v_charges := v_charges || jsonb_build_object('level', lvl.level, 'operator_id', lvl.wallet_id, 'amount', v_amount);
    END LOOP;

    RETURN jsonb_build_object(
        'id', v_recharge, 'customer_id', c.id, 'package_id', v_package, 'days', v_days, 'hours', v_hours,
        'expires_before', platform.iso(c.expires_at), 'expires_at', platform.iso(v_to), 'status', 'active',
        'customer_price', v_price, 'currency', pkg.currency, 'charged', v_charges, 'payment_id', v_payment,
        'created_at', platform.iso(p_now));
END
$fn$;

-- Gives back the unused whole days of prepaid customers stopped early (suspended, disabled, deleted):
-- walks their recharges newest first, takes back up to the unused days, shortens `expires_at` by them and
-- returns each level's share to its wallet (cumulative rounding: a recharge refunded in full returns exactly
-- what it cost). Wallets are credited at the end, bottom level first, each once. Returns the ids refunded.
CREATE FUNCTION refund_unused_days(p_ids bigint[], p_now timestamptz, p_actor text, p_reason text) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    c record;
    r record;
    ch record;
    w record;
    v_unused integer;
    v_take integer;
    v_total integer;
    v_inc bigint;
    v_posting bigint;
    v_done bigint[] := '{}';
    v_wallets bigint[] := '{}';
    v_levels integer[] := '{}';
    v_amounts bigint[] := '{}';
BEGIN
    FOR c IN SELECT id, operator_id, expires_at FROM customers
             WHERE id = ANY (p_ids) AND type IN ('pppoe_daily', 'hotspot') AND expires_at >= p_now + interval '1 day'
               AND platform.operator_visible(operator_id)
             ORDER BY id FOR UPDATE
    LOOP
        v_unused := floor(extract(epoch FROM c.expires_at - p_now) / 86400)::integer;
        v_total := 0;
        v_posting := nextval('postings');
        FOR r IN SELECT id, days, refunded_days, currency FROM recharges
                 WHERE customer_id = c.id AND days > refunded_days ORDER BY id DESC
        LOOP
            EXIT WHEN v_total >= v_unused;
            v_take := least(r.days - r.refunded_days, v_unused - v_total);
            v_total := v_total + v_take;
            UPDATE recharges SET refunded_days = refunded_days + v_take WHERE id = r.id;
            FOR ch IN SELECT * FROM wallet_charges WHERE recharge_id = r.id ORDER BY level LOOP
                v_inc := platform.prorate(ch.amount, r.refunded_days + v_take, r.days) - ch.refunded;
                CONTINUE WHEN v_inc <= 0;
                UPDATE wallet_charges SET refunded = refunded + v_inc WHERE recharge_id = r.id AND level = ch.level;
                INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, source_type, source_id, actor)
                VALUES (v_posting, 'wallet', ch.operator_id, c.id, v_inc, r.currency, 'refund', 'recharge', r.id, p_actor),
                       (v_posting, CASE WHEN ch.earner_id IS NULL THEN 'isp_income' ELSE 'operator_income' END,
                        coalesce(ch.earner_id, ch.operator_id), c.id, -v_inc, r.currency, 'refund', 'recharge', r.id, p_actor);
                v_wallets := v_wallets || ch.operator_id;
                v_levels := v_levels || ch.level;
                v_amounts := v_amounts || v_inc;
            END LOOP;
        END LOOP;
        IF v_total > 0 THEN
            UPDATE customers SET expires_at = expires_at - make_interval(days => v_total) WHERE id = c.id;
            INSERT INTO activity_log (operator_id, customer_id, action, actor_username, changes)
            VALUES (c.operator_id, c.id, 'refund_unused_days', p_actor, jsonb_build_object(
                'expires_at', jsonb_build_object('from', platform.iso(c.expires_at), 'to', platform.iso(c.expires_at - make_interval(days => v_total))),
                'refunded_days', v_total, 'reason', p_reason));
            v_done := v_done || c.id;
        END IF;
    END LOOP;
    FOR w IN SELECT x.wallet, min(x.level) AS level, sum(x.amount) AS amount
             FROM unnest(v_wallets, v_levels, v_amounts) AS x (wallet, level, amount)
             GROUP BY x.wallet ORDER BY 2, 1
    LOOP
        UPDATE wallets SET balance = balance + w.amount, updated_at = now() WHERE operator_id = w.wallet;
    END LOOP;
    RETURN v_done;
END
$fn$;

-- A top-up of a prepaid wallet or a settlement of a postpaid one, by the wallet's parent (the caller checks
-- who may fund whom; this runs with the caller's rights, so a sub-reseller's role cannot fund anything).
CREATE FUNCTION fund_wallet(p_operator bigint, p_amount bigint, p_method text, p_reference text, p_note text, p_actor text)
RETURNS jsonb
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
    w wallets%ROWTYPE;
    v_posting bigint := nextval('postings');
    v_kind text;
    v_transfer bigint;
BEGIN
    UPDATE wallets SET balance = balance + p_amount, updated_at = now() WHERE operator_id = p_operator RETURNING * INTO w;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'UB404', MESSAGE = 'wallet';
    END IF;
    v_kind := CASE w.mode WHEN 'postpaid' THEN 'settlement' ELSE 'topup' END;
    INSERT INTO wallet_transfers (operator_id, kind, amount, method, reference, note, balance_after, posting_id, actor)
    VALUES (p_operator, v_kind, p_amount, p_method, p_reference, p_note, w.balance, v_posting, p_actor)
    RETURNING id INTO v_transfer;
    INSERT INTO ledger_entries (posting_id, account, operator_id, amount, currency, kind, method, source_type, source_id, actor)
    VALUES (v_posting, 'wallet', p_operator, p_amount, w.currency, v_kind, p_method, 'transfer', v_transfer, p_actor),
           (v_posting, 'funding', p_operator, -p_amount, w.currency, v_kind, p_method, 'transfer', v_transfer, p_actor);
    RETURN jsonb_build_object('id', v_transfer, 'operator_id', p_operator, 'kind', v_kind, 'amount', p_amount, 'currency', w.currency,
        'method', p_method, 'reference', p_reference, 'note', p_note, 'balance_after', w.balance, 'actor', p_actor,
        'created_at', platform.iso(now()));
END
$fn$;
