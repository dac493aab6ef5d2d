/** VIP loyalty: screen patches (card scan, member search and enrolment, receipt data). */
import { patch } from "@web/core/utils/patch";
import { ProductScreen } from "@point_of_sale/app/screens/product_screen/product_screen";
import { PartnerList } from "@point_of_sale/app/screens/partner_list/partner_list";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";
import { makeAwaitable } from "@point_of_sale/app/store/make_awaitable_dialog";
import { VipMemberPanel } from "./vip_member_panel";
import { VipEnrolDialog } from "./vip_enrol_dialog";

ProductScreen.components = { ...ProductScreen.components, VipMemberPanel };

patch(ProductScreen.prototype, {
    /** A scanned code that is no product may be a member's card. */
    async _barcodeProductAction(code) {
        const known = this.pos.models["product.product"].getBy("barcode", code.base_code);
        if (!known) {
            let members = [];
            try {
                members = await this.pos.vipSearchMembers(code.code);
            } catch {
                members = [];
            }
            if (members.length === 1) {
                if (this.currentOrder.get_partner() !== members[0]) {
                    this.currentOrder.set_partner(members[0]);
                }
                return;
            }
        }
        return await super._barcodeProductAction(code);
    },
});

patch(PartnerList.prototype, {
    async getNewPartners() {
        const partners = await super.getNewPartners();
        if (!this.state.query) {
            return partners;
        }
        let members = [];
        try {
            members = await this.pos.vipSearchMembers(this.state.query);
        } catch {
            members = [];
        }
        const seen = new Set(partners.map((p) => p.id));
        return [...members.filter((m) => !seen.has(m.id)), ...partners];
    },
    async vipEnrol() {
        const partner = await makeAwaitable(this.dialog, VipEnrolDialog, {
            name: this.state.query && !/\d/.test(this.state.query) ? this.state.query : "",
        });
        if (partner) {
            this.clickPartner(partner);
        }
    },
});

patch(PaymentScreen.prototype, {
    async afterOrderValidation(...args) {
        const order = this.currentOrder;
        if (order?.get_partner()?.vip_card_number) {
            try {
                order.uiState.vipReceipt = await this.pos.vipReceiptInfo(order);
            } catch {
                // Offline: the receipt says the points follow when the order is synced.
            }
        }
        return await super.afterOrderValidation(...args);
    },
});
