/** VIP loyalty: terminal-side calls to the server. Only the selected member's data is fetched. */
import { patch } from "@web/core/utils/patch";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { _t } from "@web/core/l10n/translation";

patch(PosStore.prototype, {
    async vipMemberSummary(partner) {
        if (!partner) {
            return null;
        }
        return await this.data.call("res.partner", "vip_pos_member_summary", [partner.id, this.config.id]);
    },

    /** Members by card number or phone, loaded into the terminal's partner model. */
    async vipSearchMembers(query) {
        const { ids, warning } = await this.data.call("res.partner", "vip_pos_lookup", [query, this.config.id]);
        // A replaced card finds its member, with a warning the member panel shows.
        const order = this.get_order();
        if (order) {
            order.uiState.vipCardWarning = warning || null;
        }
        if (!ids.length) {
            return [];
        }
        const known = ids.map((id) => this.models["res.partner"].get(id));
        if (known.every(Boolean)) {
            return known;
        }
        return await this.data.read("res.partner", ids);
    },

    async vipEnrol(name, phone, card, birthday) {
        const id = await this.data.call("res.partner", "vip_pos_enrol", [name, phone, this.config.id], {
            card: card || false,
            birthday: birthday || false,
        });
        const [partner] = await this.data.read("res.partner", [id]);
        return partner;
    },

    vipLineSignature(order) {
        if (!order) {
            return "";
        }
        const lines = order.lines.map(
            (l) =>
                `${l.uuid}:${l.product_id?.id}:${l.qty}:${l.price_unit}:${l.vip_redeem_gift ? 1 : 0}:` +
                `${l.vip_cashier_discount || 0}`
        );
        return `${order.get_partner()?.id || 0}|${order.vip_group_order ? 1 : 0}|${lines.join(",")}`;
    },

    /** Ask the server for the member's benefits and write them on the lines as named discounts. */
    async vipApplyBenefits(order) {
        if (!order || order.finalized || order.state !== "draft") {
            return;
        }
        const partner = order.get_partner();
        // Gifts (points or planned) and points-payment lines (negative price) get no member discount.
        const lines = order.lines.filter(
            (l) => !l.vip_redeem_gift && !l.vip_gift_issue_id && !l.combo_parent_id && l.price_unit >= 0
        );
        if (!partner || !partner.vip_card_number) {
            for (const line of order.lines) {
                if (line.vip_discount_label) {
                    line.set_discount(line.vip_cashier_discount || 0);
                    line.vip_discount_label = false;
                    line.vip_redeem_gift = false;
                    line.vip_benefit_kind = false;
                }
            }
            order.uiState.vipGuard = "";
            order.uiState.vipNewLevel = null;
            order.vip_redeem_points = 0;
            order.vip_redeem_kind = false;
            return;
        }
        if (!lines.length) {
            return;
        }
        const signature = this.vipLineSignature(order);
        const result = await this.data.call(
            "res.partner",
            "vip_pos_order_benefits",
            [
                partner.id,
                lines.map((l) => ({
                    product_id: l.product_id.id,
                    price_unit: l.price_unit,
                    qty: l.qty,
                    discount: l.vip_cashier_discount || 0,
                })),
                this.config.id,
            ],
            { group_order: Boolean(order.vip_group_order) }
        );
        if (this.vipLineSignature(order) !== signature) {
            return; // the order changed meanwhile; the next round applies
        }
        // The till's guards: no member benefit on a group or staff order; the level this order reaches.
        order.uiState.vipGuard = result.guard_message || "";
        order.uiState.vipNewLevel = result.new_level || null;
        lines.forEach((line, index) => {
            const benefit = result.lines[index];
            // The server keeps the higher of the member benefit and the cashier's typed discount.
            if (benefit.kind !== "none") {
                line.set_discount(benefit.discount);
                line.vip_discount_label = benefit.label;
                line.vip_benefit_kind = benefit.kind;
            } else if (line.vip_discount_label) {
                line.set_discount(line.vip_cashier_discount || 0);
                line.vip_discount_label = false;
                line.vip_benefit_kind = false;
            }
        });
    },

    /** The cashier's hand (numpad, discount barcode): remembered, so member benefits never overwrite it. */
    async setDiscountFromUI(line, val) {
        const typed = typeof val === "number" ? val : parseFloat(val);
        line.vip_cashier_discount = Math.min(Math.max(typed || 0, 0), 100);
        return await super.setDiscountFromUI(line, val);
    },

    /** Make the selected line the member's points gift (the server checks and burns on payment). */
    async vipRedeemGift(order, line) {
        const partner = order.get_partner();
        if (!partner || !line) {
            return { ok: false, message: _t("Select the member and the gift item first.") };
        }
        if (order.vip_redeem_kind === "cash") {
            return { ok: false, message: _t("This order already pays with points.") };
        }
        const quote = await this.data.call("res.partner", "vip_pos_gift_quote", [
            partner.id,
            line.product_id.id,
            this.config.id,
        ]);
        if (!quote.ok) {
            return quote;
        }
        for (const other of order.lines) {
            if (other.vip_redeem_gift && other !== line) {
                other.vip_redeem_gift = false;
                other.vip_discount_label = false;
                other.set_discount(0);
            }
        }
        if (line.qty !== 1) {
            line.set_quantity(1);
        }
        line.vip_redeem_gift = true;
        line.set_discount(100);
        line.vip_discount_label = quote.label;
        order.vip_redeem_points = quote.points;
        order.vip_redeem_kind = "gift";
        return quote;
    },

    /** Let points pay part of the order at cash value (whole blocks, server-checked at sync). */
    async vipRedeemCash(order) {
        const partner = order.get_partner();
        if (!partner) {
            return { ok: false, message: _t("Select the member first.") };
        }
        if (order.vip_redeem_kind === "gift") {
            return { ok: false, message: _t("This order already redeems points for a gift.") };
        }
        const previous = order.lines.filter((l) => l.price_unit < 0 && l.vip_discount_label);
        const due = order.get_total_with_tax() - previous.reduce((sum, l) => sum + l.get_price_with_tax(), 0);
        const quote = await this.data.call("res.partner", "vip_pos_cash_quote", [partner.id, due, this.config.id]);
        if (!quote.ok) {
            return quote;
        }
        const product = this.models["product.product"].get(quote.product_id);
        if (!product) {
            return { ok: false, message: _t("The points payment product is not available in this POS.") };
        }
        for (const line of previous) {
            order.removeOrderline(line);
        }
        const line = await this.addLineToOrder(
            { product_id: product, price_unit: -quote.value, qty: 1 },
            order,
            { merge: false },
            false
        );
        line.vip_discount_label = quote.label;
        order.vip_redeem_points = quote.points;
        order.vip_redeem_kind = "cash";
        return quote;
    },

    vipGiftOnOrder(order, giftId) {
        return Boolean(order?.lines.some((l) => l.vip_gift_issue_id?.id === giftId));
    },

    /** Hand over a planned gift (birthday, holiday...): its item at zero price, linked to the gift. */
    async vipHandOverGift(order, gift) {
        if (!order?.get_partner()) {
            return { ok: false, message: _t("Select the member the gift is for first.") };
        }
        if (this.vipGiftOnOrder(order, gift.id)) {
            return { ok: false, message: _t("This gift is already on the order.") };
        }
        const product = this.models["product.product"].get(gift.product_id);
        if (!product) {
            return { ok: false, message: _t("%s is not sold in this POS.", gift.product_name) };
        }
        // Through the till's method: a cashier has no access to gift issues themselves.
        const loaded = await this.data.callRelated(
            "vip.gift.issue",
            "vip_pos_gift_record",
            [gift.id, this.config.id],
            {},
            false
        );
        const issue = loaded["vip.gift.issue"]?.[0];
        if (!issue) {
            return { ok: false, message: _t("The gift is no longer open.") };
        }
        const line = await this.addLineToOrder(
            { product_id: product, price_unit: 0, qty: 1, vip_gift_issue_id: issue },
            order,
            { merge: false },
            false
        );
        line.vip_discount_label = _t("Planned gift %s", gift.name);
        return { ok: true, message: _t("%s handed over as a gift.", gift.product_name) };
    },

    /** Mark the order as a group or corporate order (no member discount, no points), or unmark it. */
    vipToggleGroupOrder(order) {
        order.vip_group_order = !order.vip_group_order;
    },

    /** Replace the member's lost card: a new number; the fee item, when the programme has one. */
    async vipReplaceCard(order, reason) {
        const partner = order?.get_partner();
        if (!partner) {
            return { ok: false, message: _t("Select the member first.") };
        }
        const result = await this.data.call("res.partner", "vip_pos_replace_card", [
            partner.id,
            reason,
            this.config.id,
        ]);
        await this.data.read("res.partner", [partner.id]);
        order.uiState.vipCardWarning = null;
        const fee = result.fee_product_id && this.models["product.product"].get(result.fee_product_id);
        if (fee) {
            await this.addLineToOrder({ product_id: fee, qty: 1 }, order, { merge: false }, false);
        }
        return { ok: true, message: result.message, card: result.card };
    },

    async vipReceiptInfo(order) {
        const [info] = await this.data.call("pos.order", "vip_pos_receipt_info", [[order.uuid]]);
        return info || null;
    },
});
