/** VIP loyalty: year-end vouchers at the till. The code is typed or scanned; the server checks it
 * here and again when the order is synced (company, validity, used once). */
import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";
import { ControlButtons } from "@point_of_sale/app/screens/product_screen/control_buttons/control_buttons";
import { ProductScreen } from "@point_of_sale/app/screens/product_screen/product_screen";
import { TextInputPopup } from "@point_of_sale/app/utils/input_popups/text_input_popup";

const VOUCHER_CODE = /^V[A-Z2-9]{9}$/;

patch(PosStore.prototype, {
    async vipUseVoucher(order, typed) {
        const code = (typed || "").trim().toUpperCase();
        if (!order || !code) {
            return { ok: false, message: _t("Type or scan the voucher's code.") };
        }
        if (order.lines.some((l) => l.vip_voucher_code === code)) {
            return { ok: false, message: _t("Voucher %s is already on this order.", code) };
        }
        const result = await this.data.call("vip.voucher", "vip_pos_check", [code, this.config.id]);
        if (!result.ok) {
            return result;
        }
        // The voucher product is not among the products a till loads at start: fetch it once.
        let product = this.models["product.product"].get(result.product_id);
        if (!product) {
            [product] = await this.data.read("product.product", [result.product_id]);
        }
        if (!product) {
            return { ok: false, message: _t("The voucher product is not available in this POS.") };
        }
        await this.addLineToOrder(
            { product_id: product, price_unit: -result.amount, qty: 1, vip_voucher_code: result.code },
            order,
            { merge: false },
            false
        );
        return { ok: true, message: result.label };
    },
});

patch(PosOrderline.prototype, {
    getDisplayData() {
        return { ...super.getDisplayData(), vipVoucherCode: this.vip_voucher_code || "" };
    },
});

Orderline.props.line.shape.vipVoucherCode = { type: String, optional: true };

patch(ControlButtons.prototype, {
    clickVipVoucher() {
        this.dialog.add(TextInputPopup, {
            title: _t("Year-end voucher"),
            placeholder: _t("Voucher code"),
            getPayload: async (code) => {
                const result = await this.pos.vipUseVoucher(this.pos.get_order(), code);
                this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
            },
        });
    },
});

patch(ProductScreen.prototype, {
    /** A scanned voucher code (no product has it) goes on the order as a voucher line. */
    async _barcodeProductAction(code) {
        const known = this.pos.models["product.product"].getBy("barcode", code.base_code);
        if (!known && VOUCHER_CODE.test(code.base_code || "")) {
            const result = await this.pos.vipUseVoucher(this.currentOrder, code.base_code);
            this.notification.add(result.message, { type: result.ok ? "success" : "danger" });
            return;
        }
        return await super._barcodeProductAction(code);
    },
});
