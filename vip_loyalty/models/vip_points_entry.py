import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import points as points_engine
from ..engine import rulebook

_logger = logging.getLogger(__name__)

ENTRY_TYPES = [
    ("earn", "Earned"),
    ("bonus", "Bonus"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("reverse", "Reversed"),
    ("adjust", "Adjustment"),
    ("compensation", "Compensation"),
    ("voucher", "Converted to vouchers"),
]


class VipPointsEntry(models.Model):
    """The points ledger. Append-only: amounts are never edited, corrections are new entries.

    Positive entries are lots with an expiry date; ``remaining`` is the part of the lot
    not yet consumed by later negative entries (bookkeeping kept by ``_vip_post``).
    """

    _name = "vip.points.entry"
    _description = "VIP Points Entry"
    _order = "date desc, id desc"
    _rec_name = "rule_description"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="restrict", readonly=True)
    card_number = fields.Char(related="partner_id.vip_card_number", string="Card")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Date(required=True, index=True, readonly=True)
    points = fields.Integer(required=True, readonly=True, aggregator="sum")
    entry_type = fields.Selection(ENTRY_TYPES, required=True, index=True, readonly=True)
    expiry_date = fields.Date(index=True, readonly=True)
    remaining = fields.Integer(readonly=True, aggregator="sum")
    pos_order_id = fields.Many2one("pos.order", string="POS Order", index="btree_not_null", ondelete="restrict",
                                   readonly=True)
    reversed_entry_id = fields.Many2one(
        "vip.points.entry", index="btree_not_null", ondelete="restrict", readonly=True,
        help="The lot this entry counters (reversal, expiry).",
    )
    rule_description = fields.Char(string="Explanation", readonly=True)
    gift_issue_id = fields.Many2one(
        "vip.gift.issue", string="Gift", index="btree_not_null", ondelete="restrict", readonly=True,
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    complaint_id = fields.Many2one("vip.complaint", index="btree_not_null", ondelete="restrict", readonly=True)
    is_history_rebuild = fields.Boolean(
        string="History Rebuild", readonly=True, index=True,
        default=lambda self: bool(self.env.context.get("vip_history_rebuild")),
        help="Written by the rebuild from past POS orders, not by a live sale.",
    )
    vip_liability_move_id = fields.Many2one(
        "account.move", string="Liability Entry", index="btree_not_null", ondelete="set null", readonly=True,
        copy=False, help="The month-end points liability entry that counted this one (set by that posting only).",
    )

    _sql_constraints = [
        ("points_not_zero", "CHECK(points <> 0)", "A ledger entry must move points."),
        (
            "remaining_in_lot",
            "CHECK(remaining >= 0 AND (remaining = 0 OR remaining <= points))",
            "A lot cannot have more remaining than it earned, nor less than zero.",
        ),
    ]

    def init(self):
        # One earn and one redemption per order, whatever replays or parallel syncs do.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS vip_points_entry_order_type_uniq
                ON vip_points_entry (pos_order_id, entry_type)
                WHERE entry_type IN ('earn', 'redeem') AND pos_order_id IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS vip_points_entry_reverse_uniq
                ON vip_points_entry (pos_order_id, reversed_entry_id)
                WHERE entry_type = 'reverse' AND pos_order_id IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS vip_points_entry_expire_uniq
                ON vip_points_entry (reversed_entry_id) WHERE entry_type = 'expire';
            CREATE INDEX IF NOT EXISTS vip_points_entry_open_lots
                ON vip_points_entry (partner_id, expiry_date) WHERE remaining > 0;
            """
        )
        # One year-end conversion per member, company and conversion date, whatever the re-runs.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS vip_points_entry_voucher_uniq
                ON vip_points_entry (partner_id, company_id, date) WHERE entry_type = 'voucher';
            """
        )

    # -- append-only guards -------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("vip_ledger_post"):
            raise UserError(self.env._("Points entries are created by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        # Only the posting code may touch an entry, and never its amount.
        if not self.env.context.get("vip_ledger_post") or "points" in vals:
            raise UserError(
                self.env._("The points ledger is append-only: post a correcting entry instead.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Points entries cannot be deleted."))

    # -- posting --------------------------------------------------------------

    @api.model
    def _vip_lock_partners(self, partner_ids):
        """Serialise ledger writes per member (two terminals, one member)."""
        if partner_ids:
            self.env.cr.execute(
                "SELECT id FROM res_partner WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                [tuple(partner_ids)],
            )

    @api.model
    def _vip_open_lots(self, partner_ids):
        """Open lots per partner as engine Lots, read in one query."""
        self.env.cr.execute(
            """
            SELECT partner_id, id, remaining, expiry_date, date
              FROM vip_points_entry
             WHERE partner_id IN %s AND remaining > 0
            """,
            [tuple(partner_ids)],
        )
        lots = {}
        for partner_id, lot_id, remaining, expiry, date in self.env.cr.fetchall():
            lots.setdefault(partner_id, []).append(
                points_engine.Lot(id=lot_id, remaining=remaining, expiry_date=expiry, date=date)
            )
        return lots

    @api.model
    def _vip_post(self, vals_list, locked=False):
        """Write entries, consume lots for negative ones and move the stored balances.

        Callers pass complete values (partner, company, date, points, type). Positive
        entries become lots; negative ones burn lots first-expiring-first, or the lot
        named in ``reversed_entry_id`` first. The partners are locked here, unless the caller
        already holds their locks (``locked``).
        """
        if not vals_list:
            return self.browse()
        partner_ids = sorted({v["partner_id"] for v in vals_list})
        if not locked:
            self._vip_lock_partners(partner_ids)
        # Only negative entries burn lots: an order that just earns need not read them.
        lots = self._vip_open_lots(partner_ids) if any(v["points"] < 0 for v in vals_list) else {}
        lot_remaining = {lot.id: lot.remaining for plots in lots.values() for lot in plots}
        taken = {}
        deltas = {}
        for vals in vals_list:
            pts = vals["points"]
            deltas[vals["partner_id"]] = deltas.get(vals["partner_id"], 0) + pts
            if pts > 0:
                vals.setdefault("remaining", pts)
                continue
            vals["remaining"] = 0
            try:
                burnt = rulebook.burn(
                    [points_engine.Lot(lot.id, lot_remaining[lot.id], lot.expiry_date, lot.date)
                     for lot in lots.get(vals["partner_id"], [])],
                    pts, vals["entry_type"], vals.get("reversed_entry_id"),
                )
            except points_engine.InsufficientPoints:
                available = sum(lot_remaining[lot.id] for lot in lots.get(vals["partner_id"], []))
                raise UserError(self.env._(
                    "Not enough points: %(need)s requested, %(available)s available.", need=-pts, available=available,
                )) from None
            for lot_id, take in burnt:
                lot_remaining[lot_id] -= take
                taken[lot_id] = taken.get(lot_id, 0) + take
        entries = self.sudo().with_context(vip_ledger_post=True).create(vals_list)
        cr = self.env.cr
        if taken:
            cr.execute(
                """
                UPDATE vip_points_entry e SET remaining = e.remaining - t.taken
                  FROM unnest(%s::int[], %s::int[]) AS t(id, taken) WHERE e.id = t.id
                """,
                [list(taken), list(taken.values())],
            )
            self.browse(list(taken)).invalidate_recordset(["remaining"])
        cr.execute(
            """
            UPDATE res_partner p SET vip_points_balance = COALESCE(p.vip_points_balance, 0) + d.delta
              FROM unnest(%s::int[], %s::int[]) AS d(id, delta) WHERE p.id = d.id
            RETURNING p.id, p.vip_points_balance
            """,
            [list(deltas), list(deltas.values())],
        )
        # The new balances into the cache: the level step and the receipt read them next.
        partners = self.env["res.partner"]
        for partner_id, balance in cr.fetchall():
            partners.browse(partner_id)._update_cache({"vip_points_balance": balance}, validate=False)
        return entries

    # -- nightly ---------------------------------------------------------------

    @api.model
    def _vip_expire_lots(self, today, company, batch_size=0, partner_ids=None, id_range=None):
        """Post an ``expire`` entry for every open lot past its expiry date (``rulebook.expire``).

        For the whole company (the nightly cron), the members with ids in ``id_range`` (inclusive:
        a night shard) or ``partner_ids`` only (a member replayed through the live code).
        Set-based around the rule: each batch reads its due lots in one statement, writes in
        three (the expiries, the closed lots, the balances) and is committed; re-running for the
        same date finds nothing left.
        """
        batch_size = batch_size or 5000
        cr = self.env.cr
        self.flush_model()
        if partner_ids is not None:
            members = "AND partner_id = ANY(%(partners)s)"
        elif id_range:
            members = "AND partner_id BETWEEN %(lo)s AND %(hi)s"
        else:
            members = ""
        lo, hi = id_range or (0, 0)
        params = {"company": company.id, "today": today, "partners": list(partner_ids or ()), "lo": lo, "hi": hi}
        total = 0  # a night shard reports its progress in shards, not in lots
        if id_range is None:
            cr.execute(
                "SELECT count(*) FROM vip_points_entry"
                f" WHERE company_id = %(company)s AND remaining > 0 AND expiry_date < %(today)s {members}",
                params,
            )
            total = cr.fetchone()[0]
            if not total:
                return 0
        texts = company._vip_rule_texts()
        done = 0
        after = (0, 0)
        while True:
            # Candidates: lots the rule can expire tonight (it checks each one again).
            cr.execute(
                f"""
                SELECT id, partner_id, remaining, date, expiry_date FROM vip_points_entry
                 WHERE company_id = %(company)s AND remaining > 0 AND expiry_date < %(today)s {members}
                   AND (partner_id, id) > (%(after_partner)s, %(after_id)s)
                 ORDER BY partner_id, id LIMIT %(limit)s
                   FOR UPDATE
                """,
                {**params, "limit": batch_size, "after_partner": after[0], "after_id": after[1]},
            )
            rows = cr.fetchall()
            if not rows:
                break
            after = (rows[-1][1], rows[-1][0])  # keyset (partner, id): the next batch starts after this one
            expiries = self._vip_expire_rows(rows, today, company, texts)
            done += len(expiries)
            _logger.info("vip: expired %s/%s lots for %s", done, total, company.name)
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=max(total - done, 0))
        return done

    @api.model
    def _vip_expire_members(self, partner_ids, today, company):
        """Expire the lots of ``partner_ids`` due before ``today`` (a member replayed through the
        live code, night by night); the caller holds the members' locks and commits."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT id, partner_id, remaining, date, expiry_date FROM vip_points_entry"
            " WHERE partner_id = ANY(%s) AND company_id = %s AND remaining > 0 AND expiry_date < %s"
            " ORDER BY partner_id, id",
            [list(partner_ids), company.id, today],
        )
        return len(self._vip_expire_rows(self.env.cr.fetchall(), today, company, company._vip_rule_texts()))

    @api.model
    def _vip_expire_rows(self, rows, today, company, texts):
        """The expiries ``rulebook.expire`` finds among ``rows`` (id, partner, remaining, date,
        expiry) of locked members, written; returns them."""
        partner_of = {row[0]: row[1] for row in rows}
        self._vip_lock_partners(sorted(set(partner_of.values())))
        expiries = rulebook.expire(
            [points_engine.Lot(lot_id, remaining, expiry, day) for lot_id, _p, remaining, day, expiry in rows],
            today, texts,
        )
        self._vip_write_expiries(company, today, [
            (partner_of[lot_id], lot_id, points, description) for lot_id, points, description in expiries
        ])
        return expiries

    @api.model
    def _vip_write_expiries(self, company, today, expiries):
        """Write ``expiries`` [(partner id, lot id, points, description)]: the entries, the closed
        lots and the balances, in three statements."""
        if not expiries:
            return
        cr = self.env.cr
        partners, lots, points, descriptions = (list(column) for column in zip(*expiries, strict=True))
        cr.execute(
            """
            INSERT INTO vip_points_entry (partner_id, company_id, date, points, entry_type, remaining,
                                          reversed_entry_id, rule_description, user_id, is_history_rebuild,
                                          create_uid, create_date, write_uid, write_date)
            SELECT e.partner_id, %(company)s, %(today)s, e.points, 'expire', 0, e.lot_id, e.description,
                   %(uid)s, %(rebuild)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM unnest(%(partners)s::int[], %(lots)s::int[], %(points)s::int[], %(descriptions)s::varchar[])
                   AS e(partner_id, lot_id, points, description)
            """,
            {"company": company.id, "today": today, "uid": self.env.uid,
             "rebuild": bool(self.env.context.get("vip_history_rebuild")),
             "partners": partners, "lots": lots, "points": points, "descriptions": descriptions},
        )
        cr.execute("UPDATE vip_points_entry SET remaining = 0 WHERE id = ANY(%s)", [lots])
        deltas = {}
        for partner_id, pts in zip(partners, points, strict=True):
            deltas[partner_id] = deltas.get(partner_id, 0) + pts
        cr.execute(
            """
            UPDATE res_partner p SET vip_points_balance = COALESCE(p.vip_points_balance, 0) + d.delta
              FROM unnest(%s::int[], %s::int[]) AS d(id, delta) WHERE p.id = d.id
            """,
            [list(deltas), list(deltas.values())],
        )
        self.invalidate_model(["remaining"])
        self.env["res.partner"].browse(list(deltas)).invalidate_recordset(
            ["vip_points_balance", "vip_points_entry_ids", "vip_open_lot_ids"])
