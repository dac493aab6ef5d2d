import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import points as points_engine
from ..engine.night import ID_MAX

_logger = logging.getLogger(__name__)

ENTRY_TYPES = [
    ("earn", "Earned"),
    ("bonus", "Bonus"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("reverse", "Reversed"),
    ("adjust", "Adjustment"),
    ("compensation", "Compensation"),
]
# Entries that may leave the balance short: a refund takes back points already spent.
MAY_GO_NEGATIVE = ("reverse",)


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
            need = -pts
            first = vals.get("reversed_entry_id")
            ordered = points_engine.burn_order([
                points_engine.Lot(lot.id, lot_remaining[lot.id], lot.expiry_date, lot.date)
                for lot in lots.get(vals["partner_id"], [])
            ])
            if vals["entry_type"] == "expire":
                ordered = [lot for lot in ordered if lot.id == first]
            else:
                ordered.sort(key=lambda lot: lot.id != first)  # stable: the named lot first
            available = sum(lot.remaining for lot in ordered)
            if need > available and vals["entry_type"] not in MAY_GO_NEGATIVE:
                raise UserError(
                    self.env._(
                        "Not enough points: %(need)s requested, %(available)s available.",
                        need=need, available=available,
                    )
                )
            burn = min(need, available)
            if burn:
                for lot_id, take in points_engine.allocate_burn(ordered, burn):
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
    def _vip_expire_lots(self, today, company, batch_size=0, id_range=None):
        """Post an ``expire`` entry for every open lot past its expiry date (of the members
        with ids in ``id_range``, inclusive, when given).

        Set-based: each batch is three statements (insert the expiries, close the lots, move
        the balances), then committed; re-running for the same date finds nothing left.
        """
        batch_size = batch_size or 5000
        cr = self.env.cr
        self.flush_model()
        lo, hi = id_range or (0, ID_MAX)
        total = 0  # a night shard reports progress in shards: no count of its lots
        if id_range is None:
            cr.execute(
                "SELECT count(*) FROM vip_points_entry WHERE company_id = %s AND remaining > 0 AND expiry_date < %s",
                [company.id, today],
            )
            total = cr.fetchone()[0]
        done = 0
        after = (lo - 1, ID_MAX)  # keyset start: every lot of the first member in range
        label = self.env._("pts earned %(date)s expired after %(expiry)s", date="{date}", expiry="{expiry}")
        while True:
            cr.execute(
                """
                WITH due AS (
                    SELECT id, partner_id, remaining, date, expiry_date FROM vip_points_entry
                     WHERE company_id = %(company)s AND remaining > 0 AND expiry_date < %(today)s
                       AND (partner_id, id) > (%(after_partner)s, %(after_id)s) AND partner_id <= %(hi)s
                     ORDER BY partner_id, id LIMIT %(limit)s
                       FOR UPDATE
                ), locked AS (
                    SELECT p.id FROM res_partner p WHERE p.id IN (SELECT partner_id FROM due)
                     ORDER BY p.id FOR NO KEY UPDATE
                ), closed AS (
                    UPDATE vip_points_entry e SET remaining = 0 FROM due WHERE e.id = due.id
                    RETURNING due.*
                ), posted AS (
                    INSERT INTO vip_points_entry (partner_id, company_id, date, points, entry_type, remaining,
                                                  reversed_entry_id, rule_description, user_id,
                                                  create_uid, create_date, write_uid, write_date)
                    SELECT closed.partner_id, %(company)s, %(today)s, -closed.remaining, 'expire', 0,
                           closed.id,
                           closed.remaining || ' ' || replace(replace(%(label)s, '{date}', closed.date::text),
                                                              '{expiry}', closed.expiry_date::text),
                           %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                      FROM closed, (SELECT count(*) FROM locked) AS lock_taken
                    RETURNING partner_id, points
                ), moved AS (
                    UPDATE res_partner p SET vip_points_balance = COALESCE(p.vip_points_balance, 0) + d.delta
                      FROM (SELECT partner_id, SUM(points) AS delta FROM posted GROUP BY partner_id) d
                     WHERE p.id = d.partner_id
                    RETURNING p.id
                )
                SELECT (SELECT count(*) FROM posted), (SELECT count(*) FROM moved),
                       (SELECT max(partner_id) FROM closed),
                       (SELECT max(id) FROM closed WHERE partner_id = (SELECT max(partner_id) FROM closed))
                """,
                {"company": company.id, "today": today, "limit": batch_size, "label": label, "uid": self.env.uid,
                 "after_partner": after[0], "after_id": after[1], "hi": hi},
            )
            posted, _partners, last_partner, last_id = cr.fetchone()
            if not posted:
                break
            # Keyset: the next batch starts after this one, so closed lots are not scanned again.
            after = (last_partner, last_id)
            done += posted
            _logger.info("vip: expired %s/%s lots for %s", done, total, company.name)
            self.env["res.partner"]._vip_commit_batch(done=done, remaining=max(total - done, 0))
        self.invalidate_model(["remaining"])
        self.env["res.partner"].invalidate_model(["vip_points_balance"])
        return done
