/** POS tours of year-end vouchers (run by vip_loyalty/tests/test_voucher_tour.py). */
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import * as TextInputPopup from "@point_of_sale/../tests/tours/utils/text_input_popup_util";
import { registry } from "@web/core/registry";

const has = (selector, content) => ({ content, trigger: selector });
const typeVoucher = (code) => [
    ...ProductScreen.clickControlButton("Voucher"),
    TextInputPopup.inputText(code),
    Dialog.confirm(),
];
const closeToast = { content: "close the toast", trigger: ".o_notification .o_notification_close", run: "click" };

function pay() {
    return [
        ProductScreen.clickPayButton(),
        PaymentScreen.clickPaymentMethod("Cash"),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
    ].flat();
}

function useVoucherOnce() {
    return [
        ProductScreen.clickDisplayedProduct("Silk Dress"),
        ...typeVoucher("vtouraaaa2"),
        has(".orderline .vip-voucher-code:contains('VTOURAAAA2')", "the voucher line shows its code"),
        ProductScreen.totalAmountIs("459.00"),
        closeToast,
    ].flat();
}

registry.category("web_tour.tours").add("vip_voucher_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            useVoucherOnce(),
            pay(),
            has(".pos-receipt .orderline .vip-voucher-code:contains('VTOURAAAA2')", "the voucher is on the receipt"),
            ReceiptScreen.clickNextOrder(),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            typeVoucher("VTOURAAAA2"),
            has(".o_notification:contains('already used')", "used once: refused the second time"),
            closeToast,
            typeVoucher("VTOUROLD22"),
            has(".o_notification:contains('expired on')", "refused after expiry"),
            closeToast,
            { content: "no voucher line was added", trigger: ".product-screen:not(:has(.orderline .vip-voucher-code))" },
            ProductScreen.totalAmountIs("559.00"),
        ].flat(),
});

/** Not a test: tools/pos_screenshots.sh runs it to take docs/pos_voucher_receipt.png. */
registry.category("web_tour.tours").add("vip_voucher_screenshot_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            useVoucherOnce(),
            pay(),
            has(".pos-receipt .orderline .vip-voucher-code", "receipt"),
            {
                content: "screenshot pos_voucher_receipt",
                trigger: "body",
                run: async () => {
                    console.log("vip-screenshot:pos_voucher_receipt");
                    await new Promise((resolve) => setTimeout(resolve, 2500));
                },
            },
        ].flat(),
});
