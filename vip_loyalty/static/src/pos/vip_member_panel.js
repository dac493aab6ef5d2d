/** VIP loyalty: the member panel above the order lines (badge, points, lots, birthday, advisor). */
import { Component, onWillUnmount, useEffect, useState } from "@odoo/owl";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { useService } from "@web/core/utils/hooks";
import { _t } from "@web/core/l10n/translation";
import { makeAwaitable } from "@point_of_sale/app/store/make_awaitable_dialog";
import { TextInputPopup } from "@point_of_sale/app/utils/input_popups/text_input_popup";

export class VipMemberPanel extends Component {
    static template = "vip_loyalty.VipMemberPanel";
    static props = {};

    setup() {
        this.pos = usePos();
        this.notification = useService("notification");
        this.dialog = useService("dialog");
        this.state = useState({ summary: null, partnerId: 0, error: "" });
        this.alive = true;
        onWillUnmount(() => (this.alive = false));
        // Only the selected member's data is fetched, when the cashier selects them.
        useEffect(
            (partnerId) => {
                this.loadSummary(partnerId);
            },
            () => [this.order?.get_partner()?.id || 0]
        );
        // Benefits follow the order: member, products, quantities and prices.
        useEffect(
            () => {
                this.applyBenefits();
            },
            () => [this.pos.vipLineSignature(this.order)]
        );
    }

    get order() {
        return this.pos.get_order();
    }

    get partner() {
        return this.order?.get_partner();
    }

    get summary() {
        return this.state.partnerId === (this.partner?.id || 0) ? this.state.summary : null;
    }

    async loadSummary(partnerId) {
        this.state.error = "";
        if (!partnerId) {
            this.state.summary = null;
            this.state.partnerId = 0;
            return;
        }
        try {
            const summary = await this.pos.vipMemberSummary(this.partner);
            if (this.alive && (this.partner?.id || 0) === partnerId) {
                this.state.summary = summary;
                this.state.partnerId = partnerId;
                if (this.order) {
                    this.order.uiState.vipLevelName = summary.level_name;
                }
            }
        } catch {
            this.state.error = _t("Member data is unavailable offline.");
        }
    }

    async applyBenefits() {
        try {
            await this.pos.vipApplyBenefits(this.order);
        } catch {
            // Offline: no member discount is applied; the order itself still syncs later.
        }
    }

    formatDate(iso) {
        return iso ? luxon.DateTime.fromISO(iso).toLocaleString(luxon.DateTime.DATE_MED) : "";
    }

    async onClickGift() {
        const line = this.order?.get_selected_orderline();
        if (!line) {
            this.notification.add(_t("Select the gift item on the order first."), { type: "warning" });
            return;
        }
        const result = await this.pos.vipRedeemGift(this.order, line);
        this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
    }

    async onClickHandOver(gift) {
        const result = await this.pos.vipHandOverGift(this.order, gift);
        this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
    }

    giftOnOrder(gift) {
        return this.pos.vipGiftOnOrder(this.order, gift.id);
    }

    async onClickCash() {
        const result = await this.pos.vipRedeemCash(this.order);
        this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
    }

    /** The warning of a replaced card scanned or typed for this member. */
    get cardWarning() {
        const warning = this.order?.uiState.vipCardWarning;
        return warning && warning.partner_id === this.partner?.id ? warning.message : "";
    }

    onClickGroupOrder() {
        this.pos.vipToggleGroupOrder(this.order);
    }

    async onClickReplaceCard() {
        const reason = await makeAwaitable(this.dialog, TextInputPopup, {
            title: _t("Report lost card / Replace card"),
            placeholder: _t("Reason, e.g. lost while travelling"),
        });
        if (!reason || !reason.trim()) {
            return;
        }
        try {
            const result = await this.pos.vipReplaceCard(this.order, reason.trim());
            this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
            await this.loadSummary(this.partner?.id || 0);
        } catch (error) {
            this.notification.add(error?.data?.message || _t("The card could not be replaced."), { type: "danger" });
        }
    }
}
