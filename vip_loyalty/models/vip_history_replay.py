import logging
import time

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..engine import adoption, rulebook
from ..engine import levels as level_engine
from ..engine import profile as profile_engine

_logger = logging.getLogger(__name__)


class VipHistoryReplay(models.AbstractModel):
    """History rebuild steps of ``vip.job``: replay past paid POS orders through the live
    rules, as if the programme had been installed on ``date_from``.

    Every member's orders are replayed in the order they were paid, with the nightly job
    (expiries, lapses, decay, lost) run for every day in between, so levels, lots and
    balances come out as they would have. The first slice plans the work (the members and
    their orders, kept on the job); the next ones replay members in chunks: the engine
    (``engine.adoption.replay_member``) computes each member from the same rules as a live
    sale and the nightly job, and a chunk is written in a few statements. Members whose
    past involves another customer (a return rung up for someone else), redeemed points, a
    non-empty ledger or a first-N-of-the-day bonus go through the live code itself
    (``pos.order._vip_process_paid``), one savepoint each. Each chunk is committed with the
    job's position, so an interrupted job resumes with the next member.

    A dry run writes nothing and takes no card or entry numbers: it only runs the engine,
    and counts (without simulating) the members that need the live code.
    """

    _name = "vip.history.replay"
    _description = "VIP job steps: rebuild from history"

    def _vip_rebuild_slice(self, deadline, commit):
        today = self.company_id._vip_today()
        units = 0
        if not self.payload:
            with self.env.cr.savepoint():
                orders, skipped, entangled = self._vip_candidates()
                self.write({
                    "payload": {"members": [[member, orders[member]] for member in sorted(orders)],
                                "entangled": sorted(entangled)},
                    "progress_total": len(orders),
                    "skipped_count": len(skipped),
                    "level_counts": {},
                })
                self._vip_append_log(_("%(members)s members to rebuild, %(skipped)s skipped (live entries).",
                                       members=len(orders), skipped=len(skipped)))
            _logger.info("vip: history rebuild %s of %s from %s: %s members, %s skipped",
                         self.id, self.company_id.name, self.date_from, len(orders), len(skipped))
            self._vip_commit(commit)
            units = 1
        plan = self.payload
        members = plan["members"]
        entangled = set(plan["entangled"])
        program = self.env["vip.program"]._get_for_company(self.company_id)
        specs = self.env["vip.level"]._specs_for_company(self.company_id)
        policy = program._policy()
        config = self._vip_replay_config(program, specs, policy)
        started = time.monotonic()
        last = None
        while self.cursor < len(members) and self._vip_lock():
            chunk = members[self.cursor:self.cursor + self._vip_chunk_size(deadline, self.batch_size or 1000, last)]
            chunk_started = time.monotonic()
            with self.env.cr.savepoint():
                self._vip_rebuild_chunk(dict(chunk), entangled, config, today)
            self._vip_measure(len(chunk), time.monotonic() - chunk_started)
            units += len(chunk)
            last = len(chunk)
            self._vip_commit(commit)
            self.env.invalidate_all()
            if deadline is not None and time.monotonic() >= deadline:
                break
        if units:
            self._vip_append_log(_("%(done)s/%(total)s members rebuilt (%(seconds).0f s)", done=self.cursor,
                                   total=len(members), seconds=time.monotonic() - started))
        if self.cursor >= len(members) and self.state == "running":
            self._vip_rebuild_done()
        return units

    def _vip_rebuild_chunk(self, orders, entangled, config, today):
        """Replay (or, in a dry run, simulate) the chunk's members and add them to the job's results."""
        member_ids = sorted(orders)
        skipped = []
        if not self.include_live_members:
            # Live entries since the plan was made (a sale at the till meanwhile): replaying
            # old orders in front of them would count points twice or out of order.
            self.env["vip.points.entry"].flush_model()
            self.env.cr.execute(
                "SELECT DISTINCT partner_id FROM vip_points_entry"
                " WHERE partner_id = ANY(%s) AND NOT COALESCE(is_history_rebuild, FALSE)",
                [member_ids],
            )
            skipped = [r[0] for r in self.env.cr.fetchall()]
            member_ids = [member_id for member_id in member_ids if member_id not in set(skipped)]
        members, slow = self._vip_replay_inputs(member_ids, orders, config, entangled)
        results, failed, log = {}, [], []

        def fail(member_id, exc):
            failed.append(member_id)
            _logger.exception("vip: history rebuild failed for partner %s", member_id)
            log.append(_("Member %(id)s not rebuilt: %(error)s", id=member_id, error=exc))

        for member in members:
            try:
                results[member.id] = self._vip_simulate_member(member, config, today)
            except Exception as exc:  # noqa: BLE001 - one bad member must not stop the others
                fail(member.id, exc)
        replayed = 0
        if self.dry_run:
            done_ids = sorted(results)
            replayed = sum(len(result.earned) for result in results.values())
            level_counts = {}
            for result in results.values():
                key = str(result.state.level_id or 0)
                level_counts[key] = level_counts.get(key, 0) + 1
            outstanding = sum(result.balance for result in results.values())
        else:
            done_ids = []
            try:
                with self.env.cr.savepoint():
                    self._vip_write_replays(results)
                done_ids.extend(results)
                replayed += sum(len(result.earned) for result in results.values())
            except Exception:  # noqa: BLE001 - e.g. a card number taken meanwhile: go member by member
                self.env.invalidate_all(flush=False)
                _logger.exception("vip: batch write failed; replaying its members one by one")
                slow = sorted(set(slow) | set(results))
            partner_model = self.env["res.partner"]
            for member_id in slow:
                try:
                    with self.env.cr.savepoint():
                        replayed += self._vip_replay_member(partner_model.browse(member_id), orders[member_id], today)
                    done_ids.append(member_id)
                except Exception as exc:  # noqa: BLE001 - one bad member must not stop the others
                    self.env.invalidate_all(flush=False)
                    fail(member_id, exc)
            # A return replayed for another member re-reads this one's figures as they stood then:
            # once all are replayed, every member's figures are those of all its orders again.
            replayed_live = partner_model.browse(sorted(set(slow) & set(done_ids))).filtered(
                lambda partner: partner.vip_state != "none")
            replayed_live._vip_refresh_stats(partner_model._vip_purchases(replayed_live.ids, self.company_id))
            level_counts, outstanding = self._vip_level_figures(done_ids)
        counts = dict(self.level_counts or {})
        for key, count in level_counts.items():
            counts[key] = counts.get(key, 0) + count
        self.write({
            "cursor": self.cursor + len(orders),
            "progress_done": self.cursor + len(orders),
            "members_count": self.members_count + len(done_ids),
            "orders_count": self.orders_count + replayed,
            "skipped_count": self.skipped_count + len(skipped),
            "failed_count": self.failed_count + len(failed),
            "live_count": self.live_count + len(slow),
            "points_outstanding": self.points_outstanding + outstanding,
            "level_counts": counts,
            "member_ids": [fields.Command.link(member_id) for member_id in done_ids],
            "log": "\n".join(filter(None, [self.log, *log])),
        })

    def _vip_level_figures(self, member_ids):
        """({level id: members}, points outstanding) of rebuilt members, as written."""
        if not member_ids:
            return {}, 0
        self.env["res.partner"].flush_model(["vip_level_id", "vip_points_balance"])
        self.env.cr.execute(
            "SELECT vip_level_id, count(*), COALESCE(sum(vip_points_balance), 0) FROM res_partner"
            " WHERE id = ANY(%s) GROUP BY vip_level_id",
            [member_ids],
        )
        counts, outstanding = {}, 0
        for level_id, count, points in self.env.cr.fetchall():
            counts[str(level_id or 0)] = count
            outstanding += points
        return counts, outstanding

    def _vip_rebuild_done(self):
        if self.dry_run:
            batched = self.members_count + self.failed_count
            line = _("%(batched)s members simulated; %(live)s need the live order code and are not simulated by a "
                     "dry run (it would take card and entry numbers).", batched=batched, live=self.live_count)
        else:
            batched = self.members_count + self.failed_count - self.live_count
            line = _("%(batched)s members computed in batches, %(live)s replayed through the live order code.",
                     batched=batched, live=self.live_count)
        summary = _("%(members)s members %(verb)s, %(orders)s orders, %(failed)s failed, %(skipped)s skipped; "
                    "points outstanding %(points)s.", members=self.members_count,
                    verb=_("simulated (dry run)") if self.dry_run else _("rebuilt"), orders=self.orders_count,
                    failed=self.failed_count, skipped=self.skipped_count, points=self.points_outstanding)
        self._vip_finish("done", line, "\n".join(filter(None, [summary, self.level_summary])))

    def _vip_rebuild_result_vals(self):
        """The job's results in the rebuild wizard's fields."""
        return {
            "members_count": self.members_count,
            "orders_count": self.orders_count,
            "skipped_count": self.skipped_count,
            "failed_count": self.failed_count,
            "points_outstanding": self.points_outstanding,
            "level_summary": self.level_summary or _("Nothing to rebuild."),
            "member_ids": [fields.Command.set(self.member_ids.ids)],
            "log": self.log,
        }

    # -- planning ----------------------------------------------------------------------

    def _vip_candidates(self):
        """(orders per member, skipped member ids, entangled member ids): paid, unprocessed
        orders since date_from.

        A return belongs to the customer of the order it returns (whoever the cashier
        selected, if anyone): its reversal needs that member's earn replayed first. Such a
        return rung up for someone else entangles both customers: the live order code, which
        handles both, replays them.
        """
        self.ensure_one()
        self.env["pos.order"].flush_model()
        self.env["vip.points.entry"].flush_model()
        cr = self.env.cr
        cr.execute(
            f"""
            SELECT COALESCE(origin.partner_id, o.partner_id) AS member, o.id, o.partner_id
              FROM pos_order o
              LEFT JOIN LATERAL (
                    SELECT oo.partner_id FROM pos_order_line l
                      JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
                      JOIN pos_order oo ON oo.id = rl.order_id
                     WHERE l.order_id = o.id AND oo.partner_id IS NOT NULL
                     LIMIT 1) origin ON TRUE
             WHERE o.company_id = %(company)s
               AND o.state IN ('paid', 'done', 'invoiced')
               AND NOT COALESCE(o.vip_processed, FALSE)
               AND (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE {self.company_id._vip_sql_order_tz("o")})::date
                   >= %(date_from)s
               AND COALESCE(origin.partner_id, o.partner_id) IS NOT NULL
             ORDER BY member, o.date_order, o.id
            """,
            {"company": self.company_id.id, "vip_tz": self.company_id._vip_tz(), "date_from": self.date_from},
        )
        orders, entangled = {}, set()
        while rows := cr.fetchmany(10_000):  # a million orders: no second copy of them all
            for member, order_id, customer in rows:
                orders.setdefault(member, []).append(order_id)
                if customer and customer != member:
                    entangled |= {customer, member}
        skipped = set()
        if orders and not self.include_live_members:
            # Live ledger entries, or orders already handled live: replaying old orders
            # in front of them would count points twice or out of order.
            cr.execute(
                """
                SELECT partner_id FROM vip_points_entry
                 WHERE partner_id IN %(ids)s AND NOT COALESCE(is_history_rebuild, FALSE)
                UNION
                SELECT partner_id FROM pos_order
                 WHERE partner_id IN %(ids)s AND company_id = %(company)s AND vip_processed
                """,
                {"ids": tuple(orders), "company": self.company_id.id},
            )
            skipped = {r[0] for r in cr.fetchall()}
            for member in skipped:
                orders.pop(member, None)
        return orders, skipped, entangled

    # -- set-based replay: read a batch, compute in the engine, write in a few statements ------

    def _vip_replay_config(self, program, specs, policy):
        """The live programme as the engine replays it; with the programmes in force before each
        change applied after ``date_from`` (``vip.program.version``), for the days they held."""
        company = self.company_id
        rule = self.env["vip.points.rule"]._for_company(company)
        levels = self.env["vip.level"].sudo().with_context(active_test=False).search([("company_id", "=", company.id)])
        config = adoption.ReplayConfig(
            specs=tuple(specs),
            policy=policy,
            rule=rule._to_spec() if rule else None,
            bonuses=tuple(self.env["vip.points.bonus"]._specs_for_company(company)),
            multipliers=self.env["vip.level"]._vip_cached_multipliers(),  # what a live sale reads
            permanent_ids=frozenset(levels.filtered("is_permanent").ids),
            enrol_level=rulebook.enrol_level(specs),
            auto_enrol=program.auto_enrol,
            refund_reevaluate=program.refund_level_policy == "reevaluate",
            texts=company._vip_rule_texts(),
            user_id=self.env.uid,
        )
        return self.env["vip.program.version"]._vip_timeline(company, config, self.date_from)

    def _vip_replay_inputs(self, member_ids, orders, config, entangled, fresh=False):
        """(engine members for the set-based replay, member ids for the live code).

        ``fresh`` (a what-if simulation): every member, starting the period with no membership
        and no points, whatever the ledger holds; nothing goes to the live code.
        """
        cr = self.env.cr
        company = self.company_id
        order_model = self.env["pos.order"]
        slow = {member_id for member_id in member_ids if member_id in entangled}
        if rulebook.needs_rank_of_day(config.bonuses):
            slow = set(member_ids)  # the rank of the day depends on every member's orders
        cr.execute("SELECT DISTINCT partner_id FROM vip_points_entry WHERE partner_id = ANY(%s)", [member_ids])
        slow |= {r[0] for r in cr.fetchall()}
        if fresh:
            slow = set()
        else:
            slow |= self._vip_guarded_members(member_ids, orders)
        fast_ids = [member_id for member_id in member_ids if member_id not in slow]
        if not fast_ids:
            return [], sorted(slow)
        order_ids = [order_id for member_id in fast_ids for order_id in orders[member_id]]
        # The overridable hooks decide each order's day and which lines earn, as for a live sale.
        days = order_model.browse(order_ids)._vip_order_dates()
        cr.execute(
            """
            SELECT o.id, o.partner_id, o.date_order, o.id, o.amount_total, o.config_id, o.user_id,
                   COALESCE(o.vip_redeem_points, 0)
              FROM pos_order o WHERE o.id = ANY(%s)
            """,
            [order_ids],
        )
        heads = {row[0]: (*row[:3], days[row[0]], *row[4:]) for row in cr.fetchall()}
        cr.execute(
            """
            SELECT l.order_id, l.id, l.product_id, l.price_subtotal_incl, l.discount, rl.order_id
              FROM pos_order_line l LEFT JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
             WHERE l.order_id = ANY(%s) ORDER BY l.order_id, l.id
            """,
            [order_ids],
        )
        line_rows = cr.fetchall()
        rule = self.env["vip.points.rule"]._for_company(company)
        excluded = set()
        if rule:
            excluded = set(order_model._vip_lines_excluded(
                self.env["pos.order.line"].sudo().browse([row[1] for row in line_rows]), rule).ids)
        lines = {}
        origin_ids = set()
        for order_id, line_id, product_id, amount, discount, origin_id in line_rows:
            lines.setdefault(order_id, []).append(adoption.ReplayLine(
                amount=amount or 0.0, discount=discount or 0.0, excluded=line_id in excluded,
                refunded_order_id=origin_id, product_id=product_id,
            ))
            if origin_id:
                origin_ids.add(origin_id)
        origins, origin_partner = self._vip_replay_origins(origin_ids)
        purchases = {}
        for partner_id, stamped in self.env["res.partner"]._vip_purchases(fast_ids, company, stamps=True).items():
            purchases[partner_id] = stamped
        cr.execute(
            """
            SELECT id, COALESCE(vip_state, 'none'), vip_level_id, vip_level_since, vip_level_valid_until,
                   COALESCE(vip_points_balance, 0), vip_birthday, vip_advisor_id, company_id, phone,
                   vip_last_purchase_date
              FROM res_partner WHERE id = ANY(%s)
            """,
            [fast_ids],
        )
        partners = {row[0]: row for row in cr.fetchall()}
        members = []
        for member_id in fast_ids:
            (_id, state, level_id, since, until, balance, birthday, advisor_id, partner_company, phone,
             last_purchase) = partners[member_id]
            member_orders = [heads[order_id] for order_id in orders[member_id]]
            refers = {line.refunded_order_id for order_id in orders[member_id]
                      for line in lines.get(order_id, []) if line.refunded_order_id}
            if fresh:
                state, level_id, since, until, balance, last_purchase = "none", None, None, None, 0, None
            needs_enrolment = state == "none" and config.auto_enrol
            if not fresh and (any(head[1] not in (None, member_id) or head[7] for head in member_orders)
                    or any(origin_partner.get(origin) != member_id for origin in refers)
                    or (partner_company and partner_company != company.id)
                    or (needs_enrolment and phone and not profile_engine.is_valid_phone(phone))):
                slow.add(member_id)  # redeemed points, someone else's order, a phone the enrolment refuses
                continue
            members.append(adoption.ReplayMember(
                id=member_id,
                state=level_engine.MemberState(level_id or None, since or None, until or None, state),
                orders=tuple(
                    adoption.ReplayOrder(
                        id=head[0], stamp=head[2], day=head[3], amount_total=head[4] or 0.0,
                        customer_id=head[1], shop_id=head[5], user_id=head[6],
                        lines=tuple(lines.get(head[0], ())), redeem_points=head[7],
                    )
                    for head in member_orders
                ),
                purchases=tuple(purchases.get(member_id, ())),
                origins={origin: origins[origin] for origin in refers},
                birthday=birthday or None,
                advisor_id=advisor_id,
                last_purchase=last_purchase or None,
                balance=balance,
            ))
        return members, sorted(slow)

    def _vip_guarded_members(self, member_ids, orders):
        """Members the till's guards touched (a group order, a new level's discount on the
        qualifying order, a staff member): the live order code decides their points and levels."""
        cr = self.env.cr
        order_ids = [order_id for member_id in member_ids for order_id in orders[member_id]]
        cr.execute(
            """
            SELECT DISTINCT o.partner_id FROM pos_order o
             WHERE o.id = ANY(%s) AND (o.vip_group_order OR EXISTS (
                   SELECT 1 FROM pos_order_line l WHERE l.order_id = o.id AND l.vip_benefit_kind = 'qualifying'))
            """,
            [order_ids],
        )
        guarded = {row[0] for row in cr.fetchall()}
        guarded |= self.env["res.partner"]._vip_staff_ids(member_ids, self.company_id)
        return guarded & set(member_ids)

    def _vip_replay_origins(self, origin_ids):
        """Returned orders: (engine origins with every paid return of them, their customers)."""
        if not origin_ids:
            return {}, {}
        cr = self.env.cr
        cr.execute("SELECT id, name, amount_total, partner_id FROM pos_order WHERE id = ANY(%s)", [list(origin_ids)])
        heads = cr.fetchall()
        cr.execute(
            """
            SELECT rl.order_id, ro.date_order, l.price_subtotal_incl
              FROM pos_order_line l
              JOIN pos_order_line rl ON rl.id = l.refunded_orderline_id
              JOIN pos_order ro ON ro.id = l.order_id
             WHERE rl.order_id = ANY(%s) AND ro.state IN ('paid', 'done', 'invoiced')
            """,
            [list(origin_ids)],
        )
        returns = {}
        for origin_id, stamp, amount in cr.fetchall():
            returns.setdefault(origin_id, []).append(adoption.ReplayReturn(stamp=stamp, amount=amount or 0.0))
        origins = {
            origin_id: adoption.ReplayOrigin(name=name, amount_total=total or 0.0,
                                             returns=tuple(returns.get(origin_id, ())))
            for origin_id, name, total, _partner in heads
        }
        return origins, {origin_id: partner for origin_id, _n, _t, partner in heads}

    def _vip_simulate_member(self, member, config, today):
        start = self.date_from
        if member.state.level_id is None and member.orders:
            start = max(start, min(order.day for order in member.orders))  # no level: no night can act
        return adoption.replay_member(member, config, start, today)

    def _vip_write_replays(self, results):
        """Write the replayed members: ledger entries, level history, orders, members."""
        if not results:
            return
        cr = self.env.cr
        company = self.company_id
        uid = self.env.uid
        partner_model = self.env["res.partner"].sudo()
        partner_model.browse(list(results)).flush_recordset()
        # Cards for the members enrolled by the replay, from the same sequence as the till.
        enrolled = partner_model.browse(sorted(i for i, result in results.items() if result.enrolment))
        cards = {partner.id: partner.vip_card_number for partner in enrolled if partner.vip_card_number}
        without = [partner.id for partner in enrolled if not partner.vip_card_number]
        cards.update(zip(without, partner_model._vip_next_card_numbers(len(without)), strict=True))
        if cards:
            cr.execute(
                "SELECT vip_card_number FROM res_partner WHERE vip_card_number = ANY(%s) AND NOT (id = ANY(%s))"
                " AND (company_id = %s OR company_id IS NULL)",
                [list(cards.values()), list(cards), company.id],
            )
            taken = [r[0] for r in cr.fetchall()]
            if taken:
                raise UserError(_("Card numbers already in use: %s", ", ".join(taken)))
        entries = [(member_id, entry) for member_id in sorted(results) for entry in results[member_id].entries]
        if entries:
            # Ids drawn first, in event order, so reversals and expiries can name their lots.
            cr.execute("SELECT nextval('vip_points_entry_id_seq') FROM generate_series(1, %s)", [len(entries)])
            new_ids = sorted(r[0] for r in cr.fetchall())
            entry_ids = {(member_id, entry.key): new_id
                         for (member_id, entry), new_id in zip(entries, new_ids, strict=True)}
            rows = [
                (entry_ids[member_id, entry.key], member_id, entry.date, entry.points, entry.entry_type,
                 entry.expiry_date, entry.remaining, entry.order_id, entry_ids.get((member_id, entry.reversed_key)),
                 entry.description)
                for member_id, entry in entries
            ]
            cr.execute(
                """
                INSERT INTO vip_points_entry (id, partner_id, date, points, entry_type, expiry_date, remaining,
                                              pos_order_id, reversed_entry_id, rule_description, company_id,
                                              user_id, is_history_rebuild, create_uid, create_date,
                                              write_uid, write_date)
                SELECT e.*, %s, %s, TRUE, %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::int[], %s::date[], %s::int[], %s::varchar[], %s::date[], %s::int[],
                              %s::int[], %s::int[], %s::varchar[]) AS e
                """,
                [company.id, uid, uid, uid, *(list(column) for column in zip(*rows, strict=True))],
            )
        moves = [(member_id, move) for member_id in sorted(results) for move in results[member_id].moves]
        if moves:
            cr.execute(
                """
                INSERT INTO vip_level_history (partner_id, company_id, from_level_id, to_level_id, date, reason,
                                               rule_description, pos_order_id, user_id, is_history_rebuild,
                                               create_uid, create_date, write_uid, write_date)
                SELECT h.partner_id, %(company)s, h.from_level, h.to_level, h.date, h.reason, h.description,
                       h.order_id, %(uid)s, TRUE, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%(partner)s::int[], %(from_level)s::int[], %(to_level)s::int[], %(date)s::date[],
                              %(reason)s::varchar[], %(description)s::varchar[], %(order)s::int[])
                       AS h(partner_id, from_level, to_level, date, reason, description, order_id)
                """,
                {
                    "company": company.id, "uid": uid,
                    "partner": [m for m, _mv in moves],
                    "from_level": [mv.from_level_id for _m, mv in moves],
                    "to_level": [mv.decision.level_id for _m, mv in moves],
                    "date": [mv.date for _m, mv in moves],
                    "reason": [mv.decision.reason for _m, mv in moves],
                    "description": [mv.decision.rule_description for _m, mv in moves],
                    "order": [mv.order_id for _m, mv in moves],
                },
            )
        earned = [(order_id, points) for result in results.values() for order_id, points in result.earned.items()]
        if earned:
            cr.execute(
                """
                UPDATE pos_order o SET vip_processed = TRUE, vip_points_earned = e.points,
                       write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::int[]) AS e(id, points) WHERE o.id = e.id
                """,
                [uid, [o for o, _p in earned], [p for _o, p in earned]],
            )
        self._vip_write_members(results, cards)

    def _vip_write_members(self, results, cards):
        cr = self.env.cr
        ids = sorted(results)
        cr.execute(
            """
            UPDATE res_partner p SET vip_state = m.state, vip_level_id = m.level_id, vip_level_since = m.since,
                   vip_level_valid_until = m.until, vip_points_balance = m.balance,
                   write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
              FROM unnest(%s::int[], %s::varchar[], %s::int[], %s::date[], %s::date[], %s::int[])
                   AS m(id, state, level_id, since, until, balance)
             WHERE p.id = m.id
            """,
            [self.env.uid, ids,
             [results[i].state.state for i in ids], [results[i].state.level_id for i in ids],
             [results[i].state.level_since for i in ids], [results[i].state.valid_until for i in ids],
             [results[i].balance for i in ids]],
        )
        enrolled = [i for i in ids if results[i].enrolment]
        if enrolled:
            cr.execute(
                """
                UPDATE res_partner p SET vip_enrol_date = m.day, vip_enrol_shop_id = m.shop,
                       vip_advisor_id = m.advisor, vip_card_number = m.card
                  FROM unnest(%s::int[], %s::date[], %s::int[], %s::int[], %s::varchar[])
                       AS m(id, day, shop, advisor, card)
                 WHERE p.id = m.id
                """,
                [enrolled, [results[i].enrolment[0] for i in enrolled], [results[i].enrolment[1] for i in enrolled],
                 [results[i].enrolment[2] for i in enrolled], [cards[i] for i in enrolled]],
            )
        counted = [i for i in ids if results[i].stats]
        if counted:
            cr.execute(
                """
                UPDATE res_partner p SET vip_lifetime_spend = m.spend, vip_last_purchase_date = m.last,
                       vip_purchase_count = m.count
                  FROM unnest(%s::int[], %s::numeric[], %s::date[], %s::int[]) AS m(id, spend, last, count)
                 WHERE p.id = m.id
                """,
                [counted, [results[i].stats[0] for i in counted], [results[i].stats[1] for i in counted],
                 [results[i].stats[2] for i in counted]],
            )
        partners = self.env["res.partner"].sudo().browse(ids)
        fnames = [
            "vip_state", "vip_level_id", "vip_level_since", "vip_level_valid_until", "vip_points_balance",
            "vip_enrol_date", "vip_enrol_shop_id", "vip_advisor_id", "vip_card_number",
            "vip_lifetime_spend", "vip_last_purchase_date", "vip_purchase_count", "write_uid", "write_date",
        ]
        partners.invalidate_recordset(fnames)
        self.env["pos.order"].invalidate_model(["vip_processed", "vip_points_earned"])
        self.env["vip.points.entry"].invalidate_model()
        self.env["vip.level.history"].invalidate_model()
        # Stored fields computed from these (completeness, complaint priority...) follow.
        partners.modified(fnames)
        self.env.flush_all()

    def _vip_replay_member(self, partner, order_ids, today):
        """Replay one member's orders through the live order code, with the nightly job's own
        steps run for each night between them; returns orders replayed."""
        company = self.company_id
        program = self.env["vip.program"]._get_for_company(company)
        orders = self.env["pos.order"].browse(order_ids)
        by_id = {order.id: order for order in orders}
        days = orders._vip_order_dates()
        order_days = [(order.id, days[order.id]) for order in orders]
        rule = self.env["vip.points.rule"]._for_company(company)
        first_day = min((d for _i, d in order_days), default=self.date_from)
        start = self.date_from if partner.vip_level_id else max(first_day, self.date_from)
        entry_model = self.env["vip.points.entry"]
        next_expiry = self._vip_next_expiry(partner)
        count = 0
        for kind, value in adoption.replay_plan(order_days, start, today):
            if kind == "order":
                order = by_id[value]
                order.with_context(vip_replay_until=order.date_order)._vip_process_paid()
                # Only an earned lot can bring the next expiry forward; a stale (early) value
                # merely makes the next night look for due lots and find none.
                lot_expiry = rule._expiry_date(days[order.id]) if rule else None
                if lot_expiry and (not next_expiry or lot_expiry < next_expiry):
                    next_expiry = lot_expiry
                count += 1
                continue
            day = value
            if next_expiry and next_expiry < day:
                entry_model._vip_expire_members(partner.ids, day, company)
                next_expiry = self._vip_next_expiry(partner)
            partner._vip_review_levels(day, company, program, before=day)
        return count

    def _vip_next_expiry(self, partner):
        lots = self.env["vip.points.entry"]._vip_open_lots([partner.id]).get(partner.id, [])
        return min((lot.expiry_date for lot in lots if lot.expiry_date), default=None)
