/** VIP loyalty: model patches of the POS (partner search, named line discounts, receipt data). */
import { patch } from "@web/core/utils/patch";
import { ResPartner } from "@point_of_sale/app/models/res_partner";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";

patch(ResPartner.prototype, {
    get searchString() {
        return [super.searchString, this.vip_card_number || ""].filter(Boolean).join(" ");
    },
    exactMatch(searchWord) {
        return (
            super.exactMatch(searchWord) ||
            Boolean(this.vip_card_number && this.vip_card_number === (searchWord || "").toUpperCase())
        );
    },
});

patch(PosOrderline.prototype, {
    getDisplayData() {
        return { ...super.getDisplayData(), vipDiscountLabel: this.vip_discount_label || "" };
    },
});

Orderline.props.line.shape.vipDiscountLabel = { type: String, optional: true };

patch(PosOrder.prototype, {
    /** The receipt block: what the server said after the sync, or what the terminal knows. */
    vipReceiptData() {
        const partner = this.get_partner();
        if (!partner || !partner.vip_card_number) {
            return null;
        }
        const info = this.uiState.vipReceipt;
        if (info) {
            return { ...info, synced: true };
        }
        return {
            synced: false,
            card: partner.vip_card_number,
            level_name: this.uiState.vipLevelName || "",
            redeemed: this.vip_redeem_points || 0,
        };
    },
    export_for_printing(baseUrl, headerData) {
        return { ...super.export_for_printing(baseUrl, headerData), vip: this.vipReceiptData() };
    },
});
