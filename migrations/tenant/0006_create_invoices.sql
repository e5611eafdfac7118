-- Postpaid monthly billing of one tenant: invoices (numbered without gaps), allocations of customer payments
-- to them, and the log of automatic suspensions. Runs with search_path set to the tenant's schema.
--
-- Periods. A billing profile's cycle day c (1–28) anchors every period: the period containing local date d
-- starts on day c of the month of (d − (c − 1) days), and ends the day before the same day a month later
-- (c ≤ 28 exists in every month, so nothing clamps). With "cycle ends with month" the period is the calendar
-- month whose invoice falls due on its day c; a first period starting after the month began (the connection
-- date) is priced price × its days ÷ the month's days, half up. The period an invoice covers starts on the
-- later of its nominal start and the customer's connection date; (customer, period start) is unique among
-- live invoices and the scheduler skips any period already invoiced (voided ones too), so a period is
-- invoiced exactly once however often, or on how many nodes, the job runs.
-- Dates are the tenant's local dates (its time zone, default Asia/Dhaka).

CREATE TABLE invoice_counter (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last bigint NOT NULL DEFAULT 0
);
INSERT INTO invoice_counter DEFAULT VALUES;

CREATE TABLE invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Per tenant, from `invoice_counter` in the inserting transaction: no gaps.
    number bigint NOT NULL UNIQUE,
    customer_id bigint NOT NULL REFERENCES customers (id),
    operator_id bigint NOT NULL,
    package_id bigint REFERENCES catalog.packages (id),
    period_start date NOT NULL,
    period_end date NOT NULL,
    issued_on date NOT NULL,
    due_on date NOT NULL,
    -- Lines: package (pro-rated for a short first period), discount, VAT. Amounts in minor units.
    lines jsonb NOT NULL,
    subtotal bigint NOT NULL CHECK (subtotal >= 0),
    discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    vat bigint NOT NULL DEFAULT 0 CHECK (vat >= 0),
    total bigint NOT NULL,
    paid bigint NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'partial', 'paid', 'void')),
    currency text NOT NULL DEFAULT 'BDT',
    -- What each level's wallet paid its parent for this invoice: [{level, operator_id, earner_id, amount}].
    operator_charges jsonb NOT NULL DEFAULT '[]',
    source text NOT NULL CHECK (source IN ('scheduler', 'manual')),
    posting_id bigint NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    voided_at timestamptz,
    voided_by text,
    void_reason text CHECK (length(void_reason) <= 200),
    CHECK (period_end >= period_start),
    CHECK (total = subtotal - discount + vat),
    CHECK (paid BETWEEN 0 AND total)
);
-- One live invoice per customer and period; a voided one frees the period for a manual re-issue (the
-- scheduler never re-issues a period it has invoiced, voided or not).
CREATE UNIQUE INDEX invoices_period_key ON invoices (customer_id, period_start) WHERE status <> 'void';
-- Every invoice of a customer and period, voided or not: what the scheduler checks before invoicing (the
-- partial key above cannot answer for void ones, and without this the check scanned the table).
CREATE INDEX invoices_customer_period ON invoices (customer_id, period_start);
CREATE INDEX invoices_open ON invoices (customer_id, period_start, id) WHERE status IN ('unpaid', 'partial');
CREATE INDEX invoices_open_due ON invoices (due_on) WHERE status IN ('unpaid', 'partial');
CREATE INDEX invoices_issued ON invoices (issued_on DESC, id DESC);
CREATE INDEX invoices_operator ON invoices (operator_id, issued_on DESC, id DESC);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_owner ON invoices TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY invoices_subreseller ON invoices FOR SELECT TO uplink_subresellers USING (platform.operator_visible(operator_id));

CREATE TABLE payment_allocations (
    payment_id bigint NOT NULL REFERENCES payments (id),
    invoice_id bigint NOT NULL REFERENCES invoices (id),
    operator_id bigint NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id);
ALTER TABLE payment_allocations ENABLE ROW LEVEL SECURITY;
CREATE POLICY payment_allocations_owner ON payment_allocations TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY payment_allocations_subreseller ON payment_allocations FOR SELECT TO uplink_subresellers
    USING (platform.operator_visible(operator_id));

-- Every automatic suspension with its reason, and when a payment lifted it.
CREATE TABLE suspension_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    operator_id bigint NOT NULL,
    reason text NOT NULL CHECK (reason IN ('invoice_overdue', 'suspend_date')),
    invoice_id bigint REFERENCES invoices (id),
    suspended_at timestamptz NOT NULL,
    reactivated_at timestamptz,
    reactivated_by text
);
CREATE INDEX suspension_log_time ON suspension_log (suspended_at DESC, id DESC);
CREATE INDEX suspension_log_open ON suspension_log (customer_id) WHERE reactivated_at IS NULL;
ALTER TABLE suspension_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY suspension_log_owner ON suspension_log TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY suspension_log_subreseller ON suspension_log FOR SELECT TO uplink_subresellers
    USING (platform.operator_visible(operator_id));

-- A monthly customer's own price (instead of the package's) and a fixed discount per period, both before
-- VAT; the next invoices use them. Operators' prices are not affected.
CREATE TABLE customer_billing_terms (
    customer_id bigint PRIMARY KEY REFERENCES customers (id),
    special_price bigint CHECK (special_price >= 0),
    discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    note text CHECK (length(note) <= 200),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);
ALTER TABLE customer_billing_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_billing_terms_owner ON customer_billing_terms TO uplink_owners USING (true) WITH CHECK (true);
CREATE POLICY customer_billing_terms_subreseller ON customer_billing_terms TO uplink_subresellers
    USING (EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id))
    WITH CHECK (EXISTS (SELECT 1 FROM customers c WHERE c.id = customer_id));

CREATE INDEX customers_suspend_date ON customers (suspend_date) WHERE suspend_date IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX customers_monthly ON customers (id) WHERE type IN ('pppoe_monthly', 'static_monthly', 'other') AND deleted_at IS NULL;

-- The period of a billing profile that is due on local date `d` (see the top of this file), before the
-- connection date is applied.
CREATE FUNCTION billing_period(d date, cycle_day integer, ends_with_month boolean, OUT period_start date, OUT period_end date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN ends_with_month THEN m ELSE (m + (cycle_day - 1))::date END,
           CASE WHEN ends_with_month THEN (m + interval '1 month' - interval '1 day')::date
                ELSE (m + interval '1 month' + (cycle_day - 2) * interval '1 day')::date END
    FROM (SELECT date_trunc('month', d - (cycle_day - 1))::date AS m) x
$fn$;

-- The tenant's time zone (default Asia/Dhaka), and its local date at `t`.
CREATE FUNCTION tenant_time_zone() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
    SELECT coalesce((SELECT time_zone FROM platform.tenants WHERE schema_name = current_schema()), 'Asia/Dhaka')
$fn$;

CREATE FUNCTION local_date(t timestamptz) RETURNS date
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $fn$
    SELECT (t AT TIME ZONE tenant_time_zone())::date
$fn$;

-- Allocates the unallocated part of the customers' payments (oldest payment first) to their open invoices
-- (oldest period first). Returns the number of allocations made.
CREATE FUNCTION allocate_payments(p_customers bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    p record;
    i record;
    v_left bigint;
    v_take bigint;
    v_count integer := 0;
BEGIN
    FOR p IN SELECT id, customer_id, operator_id, unallocated FROM payments
             WHERE customer_id = ANY (p_customers) AND unallocated > 0 ORDER BY customer_id, id FOR UPDATE
    LOOP
        v_left := p.unallocated;
        FOR i IN SELECT id, total - paid AS open FROM invoices
                 WHERE customer_id = p.customer_id AND status IN ('unpaid', 'partial') ORDER BY period_start, id FOR UPDATE
        LOOP
            EXIT WHEN v_left = 0;
            v_take := least(v_left, i.open);
            CONTINUE WHEN v_take <= 0;
            INSERT INTO payment_allocations (payment_id, invoice_id, operator_id, amount) VALUES (p.id, i.id, p.operator_id, v_take)
            ON CONFLICT (payment_id, invoice_id) DO UPDATE SET amount = payment_allocations.amount + EXCLUDED.amount;
            UPDATE invoices SET paid = paid + v_take, status = CASE WHEN paid + v_take = total THEN 'paid' ELSE 'partial' END WHERE id = i.id;
            v_left := v_left - v_take;
            v_count := v_count + 1;
        END LOOP;
        IF v_left <> p.unallocated THEN
            UPDATE payments SET unallocated = v_left WHERE id = p.id;
        END IF;
    END LOOP;
    RETURN v_count;
END
$fn$;

-- Generates the invoices due as of `p_as_of` for up to `p_batch` monthly customers after id `p_after`
-- (keyset batches; the scheduler's job), or for one customer (`p_only`, a manual invoice: any status, any
-- auto-invoice setting). One posting per call: each invoice debits its customer's account; sales and VAT are
-- credited per operator; each level's wallet pays its operator price (pro-rated like the customer's), summed
-- per wallet, for the customers its balance or credit covers in id order (the rest are left for a later run
-- and counted as unaffordable). Advance credit is applied at once. Locks the invoice counter first, so
-- numbers have no gaps and a concurrent manual invoice cannot slip between check and insert.
CREATE FUNCTION generate_invoices(
    p_as_of timestamptz, p_after bigint, p_batch integer, p_only bigint, p_actor text, p_source text,
    OUT created integer, OUT skipped integer, OUT unaffordable integer, OUT unassigned integer, OUT scanned integer, OUT last_id bigint
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    v_today date := local_date(p_as_of);
    v_reseller boolean;
    v_owner bigint;
    v_posting bigint := nextval('postings');
    v_base bigint;
    w record;
BEGIN
    PERFORM 1 FROM invoice_counter FOR UPDATE;
    SELECT t.kind = 'reseller' INTO v_reseller FROM platform.tenants t WHERE t.schema_name = current_schema();
    SELECT id INTO v_owner FROM operators WHERE kind = 'owner';

    CREATE TEMP TABLE IF NOT EXISTS billing_due (
        customer_id bigint PRIMARY KEY, operator_id bigint, package_id bigint, package_name text, currency text,
        period_start date, period_end date, due_on date, subtotal bigint, discount bigint, vat_rate integer,
        level1_wallet bigint, level1_earner bigint, level1_amount bigint, level2_amount bigint, state text
    ) ON COMMIT DROP;
    DELETE FROM billing_due;

    INSERT INTO billing_due
    SELECT c.id, c.operator_id, c.package_id, pk.name, pk.currency, x.pstart, x.pend, x.pstart + bp.due_days,
           x.subtotal, least(x.discount, x.subtotal),
           coalesce(vb.rate_basis_points, vp.rate_basis_points, 0),
           CASE WHEN o.kind = 'sub_reseller' THEN o.id END, CASE WHEN o.kind = 'sub_reseller' THEN o.parent_id END,
           CASE WHEN o.kind = 'sub_reseller' THEN
               (SELECT CASE WHEN bp.cycle_ends_with_month AND x.pstart > x.nominal
                            THEN platform.prorate(a.price, x.pend - x.pstart + 1, x.pend - x.nominal + 1) ELSE a.price END
                FROM catalog.package_assignments a WHERE a.package_id = c.package_id AND a.operator_id = o.id) END,
           CASE WHEN v_reseller THEN
               (SELECT CASE WHEN bp.cycle_ends_with_month AND x.pstart > x.nominal
                            THEN platform.prorate(a.price, x.pend - x.pstart + 1, x.pend - x.nominal + 1) ELSE a.price END
                FROM catalog.package_assignments a WHERE a.package_id = c.package_id AND a.operator_id = v_owner) END,
           CASE WHEN x.pstart > x.pend THEN 'not_yet'
                WHEN EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.period_start = x.pstart
                             AND (p_only IS NULL OR i.status <> 'void')) THEN 'done'
                ELSE 'due' END
    FROM (SELECT * FROM customers c0
          WHERE c0.id > p_after AND (p_only IS NULL OR (c0.id = p_only AND platform.operator_visible(c0.operator_id)))
            AND c0.type IN ('pppoe_monthly', 'static_monthly', 'other') AND c0.deleted_at IS NULL
            AND (p_only IS NOT NULL OR c0.status = 'active')
          ORDER BY c0.id LIMIT p_batch) c
    JOIN catalog.billing_profiles bp ON bp.id = c.billing_profile_id AND (p_only IS NOT NULL OR bp.auto_invoice)
    JOIN catalog.packages pk ON pk.id = c.package_id
    JOIN operators o ON o.id = c.operator_id
    LEFT JOIN catalog.vat_profiles vb ON vb.id = bp.vat_profile_id
    LEFT JOIN catalog.vat_profiles vp ON vp.id = pk.vat_profile_id
    LEFT JOIN customer_billing_terms t ON t.customer_id = c.id
    CROSS JOIN LATERAL (
        SELECT bpp.period_start AS nominal, bpp.period_end AS pend, greatest(bpp.period_start, c.connection_date) AS pstart
        FROM billing_period(v_today, bp.cycle_day, bp.cycle_ends_with_month) bpp
    ) x0
    CROSS JOIN LATERAL (
        SELECT x0.nominal, x0.pend, x0.pstart,
               CASE WHEN bp.cycle_ends_with_month AND x0.pstart > x0.nominal
                    THEN platform.prorate(coalesce(t.special_price, pk.price), x0.pend - x0.pstart + 1, x0.pend - x0.nominal + 1)
                    ELSE coalesce(t.special_price, pk.price) END AS subtotal,
               CASE WHEN bp.cycle_ends_with_month AND x0.pstart > x0.nominal
                    THEN platform.prorate(coalesce(t.discount, 0), x0.pend - x0.pstart + 1, x0.pend - x0.nominal + 1)
                    ELSE coalesce(t.discount, 0) END AS discount
    ) x;

    SELECT count(*)::int, max(c.id) INTO scanned, last_id FROM (
        SELECT id FROM customers c0
        WHERE c0.id > p_after AND (p_only IS NULL OR (c0.id = p_only AND platform.operator_visible(c0.operator_id)))
          AND c0.type IN ('pppoe_monthly', 'static_monthly', 'other') AND c0.deleted_at IS NULL
          AND (p_only IS NOT NULL OR c0.status = 'active')
        ORDER BY c0.id LIMIT p_batch) c;

    UPDATE billing_due SET state = 'unassigned'
    WHERE state = 'due' AND ((level1_wallet IS NOT NULL AND level1_amount IS NULL) OR (v_reseller AND level2_amount IS NULL));

    -- Wallets in the lock order every writer uses: sub-resellers' (by id), then the owner's.
    PERFORM 1 FROM wallets WHERE operator_id IN (SELECT level1_wallet FROM billing_due WHERE state = 'due') ORDER BY operator_id FOR UPDATE;
    IF v_reseller THEN
        PERFORM 1 FROM wallets WHERE operator_id = v_owner FOR UPDATE;
    END IF;
    UPDATE billing_due d SET state = 'unaffordable'
    FROM (SELECT b.customer_id, sum(b.level1_amount) OVER (PARTITION BY b.level1_wallet ORDER BY b.customer_id) AS running
          FROM billing_due b WHERE b.state = 'due' AND b.level1_wallet IS NOT NULL) r
    JOIN wallets wl ON true
    WHERE d.customer_id = r.customer_id AND wl.operator_id = d.level1_wallet
      AND r.running > CASE wl.mode WHEN 'prepaid' THEN wl.balance ELSE wl.balance + wl.credit_limit END;
    IF v_reseller THEN
        UPDATE billing_due d SET state = 'unaffordable'
        FROM (SELECT b.customer_id, sum(b.level2_amount) OVER (ORDER BY b.customer_id) AS running
              FROM billing_due b WHERE b.state = 'due') r, wallets wl
        WHERE d.customer_id = r.customer_id AND wl.operator_id = v_owner
          AND r.running > CASE wl.mode WHEN 'prepaid' THEN wl.balance ELSE wl.balance + wl.credit_limit END;
    END IF;

    SELECT count(*) FILTER (WHERE state = 'due'), count(*) FILTER (WHERE state IN ('done', 'not_yet')),
           count(*) FILTER (WHERE state = 'unaffordable'), count(*) FILTER (WHERE state = 'unassigned')
    INTO created, skipped, unaffordable, unassigned FROM billing_due;
    IF created = 0 THEN
        RETURN;
    END IF;

    UPDATE invoice_counter SET last = last + created RETURNING last - created INTO v_base;
    INSERT INTO invoices (number, customer_id, operator_id, package_id, period_start, period_end, issued_on, due_on, lines,
                          subtotal, discount, vat, total, status, currency, operator_charges, source, posting_id, actor)
    SELECT v_base + row_number() OVER (ORDER BY d.customer_id), d.customer_id, d.operator_id, d.package_id, d.period_start, d.period_end,
           v_today, d.due_on,
           jsonb_build_array(jsonb_build_object('kind', 'package', 'description',
                    d.package_name || ' ' || to_char(d.period_start, 'DD Mon YYYY') || ' – ' || to_char(d.period_end, 'DD Mon YYYY'),
                    'amount', d.subtotal))
               || CASE WHEN d.discount > 0 THEN jsonb_build_array(jsonb_build_object('kind', 'discount', 'description', 'Discount',
                    'amount', -d.discount)) ELSE '[]'::jsonb END
               || CASE WHEN v.vat > 0 THEN jsonb_build_array(jsonb_build_object('kind', 'vat', 'description',
                    'VAT ' || trim(to_char(d.vat_rate / 100.0, 'FM990.99')) || ' %', 'amount', v.vat)) ELSE '[]'::jsonb END,
           d.subtotal, d.discount, v.vat, d.subtotal - d.discount + v.vat,
           CASE WHEN d.subtotal - d.discount + v.vat = 0 THEN 'paid' ELSE 'unpaid' END, d.currency,
           (CASE WHEN d.level1_wallet IS NOT NULL THEN jsonb_build_array(jsonb_build_object('level', 1, 'operator_id', d.level1_wallet,
                    'earner_id', d.level1_earner, 'amount', d.level1_amount)) ELSE '[]'::jsonb END)
               || (CASE WHEN v_reseller THEN jsonb_build_array(jsonb_build_object('level', 2, 'operator_id', v_owner, 'earner_id', NULL,
                    'amount', d.level2_amount)) ELSE '[]'::jsonb END),
           p_source, v_posting, p_actor
    FROM billing_due d CROSS JOIN LATERAL (SELECT platform.prorate(d.subtotal - d.discount, d.vat_rate, 10000) AS vat) v
    WHERE d.state = 'due';

    -- The customers owe each invoice; sales and VAT are credited per operator and currency.
    INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, source_type, source_id, actor)
    SELECT v_posting, 'customer', i.operator_id, i.customer_id, -i.total, i.currency, 'invoice', 'invoice', i.id, p_actor
    FROM invoices i WHERE i.posting_id = v_posting AND i.total > 0
    UNION ALL
    SELECT v_posting, 'sales', i.operator_id, NULL, sum(i.subtotal - i.discount), i.currency, 'invoice', 'invoice_batch', v_posting, p_actor
    FROM invoices i WHERE i.posting_id = v_posting GROUP BY i.operator_id, i.currency HAVING sum(i.subtotal - i.discount) <> 0
    UNION ALL
    SELECT v_posting, 'vat_payable', i.operator_id, NULL, sum(i.vat), i.currency, 'invoice', 'invoice_batch', v_posting, p_actor
    FROM invoices i WHERE i.posting_id = v_posting GROUP BY i.operator_id, i.currency HAVING sum(i.vat) <> 0;

    -- Each level's wallet pays once per batch for its customers' invoices.
    FOR w IN SELECT level1_wallet AS wallet, level1_earner AS earner, 1 AS level, sum(level1_amount) AS amount, min(currency) AS currency
             FROM billing_due WHERE state = 'due' AND level1_wallet IS NOT NULL GROUP BY level1_wallet, level1_earner
             UNION ALL
             SELECT v_owner, NULL, 2, sum(level2_amount), min(currency) FROM billing_due WHERE state = 'due' AND v_reseller
             ORDER BY 3, 1
    LOOP
        CONTINUE WHEN w.amount IS NULL OR w.amount = 0;
        UPDATE wallets SET balance = balance - w.amount, updated_at = now() WHERE operator_id = w.wallet;
        INSERT INTO ledger_entries (posting_id, account, operator_id, amount, currency, kind, source_type, source_id, actor)
        VALUES (v_posting, 'wallet', w.wallet, -w.amount, w.currency, 'invoice', 'invoice_batch', v_posting, p_actor),
               (v_posting, CASE WHEN w.earner IS NULL THEN 'isp_income' ELSE 'operator_income' END, coalesce(w.earner, w.wallet),
                w.amount, w.currency, 'invoice', 'invoice_batch', v_posting, p_actor);
    END LOOP;

    -- Advance credit goes to the new invoices at once.
    PERFORM allocate_payments(array(
        SELECT DISTINCT p.customer_id FROM payments p JOIN billing_due d ON d.customer_id = p.customer_id
        WHERE d.state = 'due' AND p.unallocated > 0));
END
$fn$;

-- Records a payment of a monthly (or other) customer: the payment and its ledger entries, allocation oldest
-- invoice first (the rest is advance credit), and — when the payment leaves no invoice overdue and the
-- billing profile says so — reactivation of a customer the scheduler suspended, with its activity and outbox
-- rows. One transaction; the caller holds the idempotency key.
CREATE FUNCTION record_payment(
    p_customer bigint, p_amount bigint, p_method text, p_reference text, p_received timestamptz, p_now timestamptz,
    p_actor text, p_actor_user bigint, p_actor_token bigint, p_request text, p_client text
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    c customers%ROWTYPE;
    v_tenant bigint := substr(current_schema(), 3)::bigint;
    v_today date := local_date(p_now);
    v_posting bigint := nextval('postings');
    v_payment bigint;
    v_currency text;
    v_grace integer;
    v_reactivate boolean;
    v_reactivated boolean := false;
BEGIN
    SELECT * INTO c FROM customers
    WHERE id = p_customer AND deleted_at IS NULL AND platform.operator_visible(operator_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'UB404', MESSAGE = 'customer';
    END IF;
    IF c.type IN ('pppoe_daily', 'hotspot') THEN
        RAISE EXCEPTION USING ERRCODE = 'UB422', MESSAGE = 'prepaid_customer', HINT = 'type',
            DETAIL = c.type || ' customers pay with a recharge (its payment part)';
    END IF;
    SELECT t.currency INTO v_currency FROM platform.tenants t WHERE t.schema_name = current_schema();
    BEGIN
        INSERT INTO payments (customer_id, operator_id, amount, method, reference, received_at, unallocated, posting_id, actor)
        VALUES (c.id, c.operator_id, p_amount, p_method, p_reference, coalesce(p_received, p_now), p_amount, v_posting, p_actor)
        RETURNING id INTO v_payment;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'payment_reference_used',
            DETAIL = 'a ' || p_method || ' payment with this reference is already recorded';
    END;
    INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, method, source_type, source_id, actor)
    VALUES (v_posting, 'collections', c.operator_id, c.id, -p_amount, v_currency, 'payment', p_method, 'payment', v_payment, p_actor),
           (v_posting, 'customer', c.operator_id, c.id, p_amount, v_currency, 'payment', p_method, 'payment', v_payment, p_actor);
    PERFORM allocate_payments(ARRAY[c.id]);

    SELECT bp.grace_days, bp.auto_reactivate INTO v_grace, v_reactivate FROM catalog.billing_profiles bp WHERE bp.id = c.billing_profile_id;
    IF c.status = 'suspended' AND c.status_reason = 'invoice_overdue' AND coalesce(v_reactivate, false)
       AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.status IN ('unpaid', 'partial')
                       AND i.due_on + coalesce(v_grace, 0) < v_today) THEN
        UPDATE customers SET status = 'active', status_reason = NULL, updated_at = now(), updated_by = p_actor WHERE id = c.id;
        INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
        VALUES (c.operator_id, c.id, 'reactivate', p_actor_user, p_actor_token, p_actor,
                jsonb_build_object('status', jsonb_build_object('from', 'suspended', 'to', 'active'),
                                   'status_reason', jsonb_build_object('from', c.status_reason, 'to', NULL), 'payment_id', v_payment),
                p_request, p_client);
        INSERT INTO platform.outbox (tenant_id, customer_id, reason) VALUES (v_tenant, c.id, 'reactivated');
        UPDATE suspension_log SET reactivated_at = p_now, reactivated_by = p_actor WHERE customer_id = c.id AND reactivated_at IS NULL;
        v_reactivated := true;
    END IF;

    RETURN jsonb_build_object(
        'id', v_payment, 'customer_id', c.id, 'operator_id', c.operator_id, 'amount', p_amount, 'currency', v_currency, 'method', p_method,
        'reference', p_reference, 'received_at', platform.iso(coalesce(p_received, p_now)),
        'allocations', (SELECT coalesce(jsonb_agg(jsonb_build_object('invoice_id', a.invoice_id, 'number', i.number, 'amount', a.amount)
                                                  ORDER BY i.period_start, i.id), '[]'::jsonb)
                        FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id WHERE a.payment_id = v_payment),
        'advance_credit', (SELECT unallocated FROM payments WHERE id = v_payment),
        'reactivated', v_reactivated, 'status', CASE WHEN v_reactivated THEN 'active' ELSE c.status END,
        'created_at', platform.iso(p_now));
END
$fn$;

-- Suspends the monthly customers among the next `p_batch` candidates after customer id `p_after` (keyset
-- batches over customers with an open invoice past its due date; the first batch also takes customers whose
-- suspend-date override has come) whose oldest open invoice is past due plus the profile's grace days, or
-- whose suspend date has come, when the profile says so: status, activity, outbox and suspension log in one
-- statement.
CREATE FUNCTION suspend_overdue(
    p_as_of timestamptz, p_after bigint, p_batch integer, p_actor text,
    OUT suspended integer, OUT scanned integer, OUT last_id bigint
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    v_today date := local_date(p_as_of);
    v_tenant bigint := substr(current_schema(), 3)::bigint;
BEGIN
    SELECT count(*)::int, max(k.customer_id) INTO scanned, last_id FROM (
        SELECT DISTINCT ON (i.customer_id) i.customer_id FROM invoices i
        WHERE i.status IN ('unpaid', 'partial') AND i.due_on < v_today AND i.customer_id > p_after
        ORDER BY i.customer_id LIMIT p_batch) k;
    WITH candidates AS (
        SELECT DISTINCT ON (i.customer_id) i.customer_id FROM invoices i
        WHERE i.status IN ('unpaid', 'partial') AND i.due_on < v_today AND i.customer_id > p_after
        ORDER BY i.customer_id LIMIT p_batch
    ), overrides AS (
        SELECT c.id AS customer_id FROM customers c
        WHERE p_after = 0 AND c.suspend_date <= v_today AND c.suspend_date IS NOT NULL AND c.deleted_at IS NULL
    ), due AS (
        SELECT c.id, c.operator_id,
               CASE WHEN c.suspend_date IS NOT NULL THEN 'suspend_date' ELSE 'invoice_overdue' END AS why,
               (SELECT i.id FROM invoices i WHERE i.customer_id = c.id AND i.status IN ('unpaid', 'partial')
                ORDER BY i.period_start, i.id LIMIT 1) AS invoice_id
        FROM (SELECT customer_id FROM candidates UNION SELECT customer_id FROM overrides) k
        JOIN customers c ON c.id = k.customer_id
        JOIN catalog.billing_profiles bp ON bp.id = c.billing_profile_id
        WHERE c.status = 'active' AND c.deleted_at IS NULL AND c.type IN ('pppoe_monthly', 'static_monthly', 'other') AND bp.auto_suspend
          AND EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.status IN ('unpaid', 'partial'))
          AND CASE WHEN c.suspend_date IS NOT NULL THEN c.suspend_date <= v_today
                   ELSE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.status IN ('unpaid', 'partial')
                                AND i.due_on + bp.grace_days < v_today) END
        FOR UPDATE OF c SKIP LOCKED
    ), done AS (
        UPDATE customers c SET status = 'suspended', status_reason = 'invoice_overdue', updated_at = now(), updated_by = p_actor
        FROM due WHERE c.id = due.id
        -- The reason and invoice come along, so nothing below joins two CTEs (whose sizes the planner
        -- cannot know: it chose a nested loop, 5,000 × 5,000, for such a join).
        RETURNING c.id, c.operator_id, due.why, due.invoice_id
    ), log AS (
        INSERT INTO activity_log (operator_id, customer_id, action, actor_username, changes)
        SELECT d.operator_id, d.id, 'suspend', p_actor, jsonb_build_object(
            'status', jsonb_build_object('from', 'active', 'to', 'suspended'),
            'status_reason', jsonb_build_object('from', NULL, 'to', 'invoice_overdue'), 'invoice_id', d.invoice_id)
        FROM done d
    ), box AS (
        INSERT INTO platform.outbox (tenant_id, customer_id, reason) SELECT v_tenant, d.id, 'status_changed' FROM done d
    ), suspensions AS (
        INSERT INTO suspension_log (customer_id, operator_id, reason, invoice_id, suspended_at)
        SELECT d.id, d.operator_id, d.why, d.invoice_id, p_as_of FROM done d
    )
    SELECT count(*)::int INTO suspended FROM done;
END
$fn$;

-- Voids an invoice (a correction): the payments allocated to it go back to their payers' advance credit,
-- and one reversal posting undoes the invoice's own entries and what each level's wallet paid for it.
-- The period may then be invoiced again by hand. Returns the invoice id.
CREATE FUNCTION void_invoice(p_invoice bigint, p_reason text, p_actor text, p_actor_user bigint, p_actor_token bigint,
                             p_request text, p_client text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    i invoices%ROWTYPE;
    v_posting bigint := nextval('postings');
    ch record;
BEGIN
    SELECT * INTO i FROM invoices WHERE id = p_invoice AND platform.operator_visible(operator_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'UB404', MESSAGE = 'invoice';
    END IF;
    IF i.status = 'void' THEN
        RAISE EXCEPTION USING ERRCODE = 'UB409', MESSAGE = 'already_void', DETAIL = 'the invoice is already void';
    END IF;
    PERFORM 1 FROM customers WHERE id = i.customer_id FOR UPDATE;
    -- Allocated payments become advance credit again.
    UPDATE payments p SET unallocated = p.unallocated + a.amount
    FROM payment_allocations a WHERE a.invoice_id = i.id AND p.id = a.payment_id;
    DELETE FROM payment_allocations WHERE invoice_id = i.id;
    UPDATE invoices SET status = 'void', paid = 0, voided_at = now(), voided_by = p_actor, void_reason = p_reason WHERE id = i.id;
    -- Reversal of the invoice's entries.
    INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, source_type, source_id, actor)
    SELECT v_posting, x.account, i.operator_id, x.customer, x.amount, i.currency, 'void', 'invoice', i.id, p_actor
    FROM (VALUES ('customer', i.customer_id, i.total), ('sales', NULL::bigint, -(i.subtotal - i.discount)), ('vat_payable', NULL::bigint, -i.vat)) AS x (account, customer, amount)
    WHERE x.amount <> 0;
    -- Each level's wallet gets back what it paid, bottom level first.
    FOR ch IN SELECT (e->>'level')::int AS level, (e->>'operator_id')::bigint AS wallet, (e->>'earner_id')::bigint AS earner,
                     (e->>'amount')::bigint AS amount
              FROM jsonb_array_elements(i.operator_charges) e ORDER BY 1
    LOOP
        CONTINUE WHEN ch.amount IS NULL OR ch.amount = 0;
        UPDATE wallets SET balance = balance + ch.amount, updated_at = now() WHERE operator_id = ch.wallet;
        INSERT INTO ledger_entries (posting_id, account, operator_id, customer_id, amount, currency, kind, source_type, source_id, actor)
        VALUES (v_posting, 'wallet', ch.wallet, i.customer_id, ch.amount, i.currency, 'void', 'invoice', i.id, p_actor),
               (v_posting, CASE WHEN ch.earner IS NULL THEN 'isp_income' ELSE 'operator_income' END, coalesce(ch.earner, ch.wallet),
                i.customer_id, -ch.amount, i.currency, 'void', 'invoice', i.id, p_actor);
    END LOOP;
    INSERT INTO activity_log (operator_id, customer_id, action, actor_user_id, actor_token_id, actor_username, changes, request_id, client_ip)
    VALUES (i.operator_id, i.customer_id, 'void_invoice', p_actor_user, p_actor_token, p_actor,
            jsonb_build_object('invoice_id', i.id, 'number', i.number, 'total', i.total, 'reason', p_reason), p_request, p_client);
    RETURN i.id;
END
$fn$;
