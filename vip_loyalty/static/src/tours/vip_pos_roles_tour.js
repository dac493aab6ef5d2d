/** A cashier with POS rights only, no VIP group (run by vip_loyalty/tests/test_roles_tour.py). */
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import * as TicketScreen from "@point_of_sale/../tests/tours/utils/ticket_screen_util";
import { scan_barcode } from "@point_of_sale/../tests/tours/utils/common";
import { registry } from "@web/core/registry";

const has = (selector, content) => ({ content, trigger: selector });

function pay() {
    return [
        ProductScreen.clickPayButton(),
        PaymentScreen.clickPaymentMethod("Cash"),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
    ].flat();
}

registry.category("web_tour.tours").add("vip_pos_user_sale_refund_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPROLE0001"),
            has(".vip-member-panel .vip-member-name:contains('Chen Jing')", "the member panel shows"),
            has(".vip-member-panel .vip-level-badge:contains('Member')", "the level badge shows"),
            has(".vip-member-panel .vip-balance-value:contains('1200')", "the balance shows"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            ProductScreen.selectedOrderlineHas("Silk Dress", "2.00"),
            pay(),
            has(".pos-receipt .vip-receipt-card:contains('VIPROLE0001')", "the card is on the receipt"),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 111')", "points earned at once"),
            has(".pos-receipt .vip-receipt-balance:contains('Points balance: 1311')", "balance after"),
            ReceiptScreen.clickNextOrder(),
            ProductScreen.clickRefund(),
            TicketScreen.selectOrder("-0001"),
            ProductScreen.clickNumpad("1"),
            TicketScreen.toRefundTextContains("To Refund: 1.00"),
            TicketScreen.confirmRefund(),
            ProductScreen.isShown(),
            ProductScreen.totalAmountIs("-559.00"),
            pay(),
        ].flat(),
});
