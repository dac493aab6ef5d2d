/** POS tours of the VIP terminal experience (run by vip_loyalty/tests/test_pos_tour.py). */
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
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

registry.category("web_tour.tours").add("vip_pos_member_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-level-badge:contains('Senior')", "the level badge shows"),
            has(".vip-member-panel .vip-balance-value:contains('1200')", "the balance shows"),
            has(".vip-member-panel .vip-expiring:contains('200 pts expire')", "expiring lots show"),
            has(".vip-member-panel .vip-advisor", "the advisor shows"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            has(".orderline .vip-discount-label:contains('Senior discount 5%')", "the level discount is named"),
            ProductScreen.clickDisplayedProduct("Promo Coat"),
            has(".orderline .vip-discount-label:contains('折上折 Senior 5% on 12% promotion')", "the 折上折 line"),
            pay(),
            has(".pos-receipt .vip-receipt-card:contains('VIPTOUR0001')", "the card is on the receipt"),
            has(".pos-receipt .vip-receipt-level:contains('Senior')", "the level is on the receipt"),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 136')", "points earned"),
            has(".pos-receipt .vip-receipt-balance:contains('Points balance: 1336')", "balance after"),
            has(".pos-receipt .vip-receipt-expiring:contains('200 pts expire on')", "lots expiring soon"),
            has(".pos-receipt .orderline .vip-discount-label:contains('折上折')", "named discounts are printed"),
        ].flat(),
});

registry.category("web_tour.tours").add("vip_pos_enrol_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            { content: "open quick enrolment", trigger: ".vip-enrol-button", run: "click" },
            { content: "name", trigger: ".vip-enrol-name", run: "edit Lin Xiao" },
            { content: "a phone already used", trigger: ".vip-enrol-phone", run: "edit +86 138 0000 0001" },
            { content: "enrol", trigger: ".vip-enrol-confirm", run: "click" },
            has(".vip-enrol-error:contains('already belongs to')", "duplicate phone refused"),
            { content: "a new phone", trigger: ".vip-enrol-phone", run: "edit 137 2468 1357" },
            { content: "enrol", trigger: ".vip-enrol-confirm", run: "click" },
            has(".vip-member-panel .vip-member-name:contains('Lin Xiao')", "the new member is selected"),
            has(".vip-member-panel .vip-level-badge:contains('Member')", "at the base level"),
            has(".vip-member-panel .vip-balance-value:contains('0')", "with no points yet"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            pay(),
            has(".pos-receipt .vip-receipt-card:contains('VIP')", "the new card is on the receipt"),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 55')", "points earned"),
        ].flat(),
});

registry.category("web_tour.tours").add("vip_pos_gift_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-balance-value:contains('1200')", "the balance shows"),
            ProductScreen.clickDisplayedProduct("Gift Scarf"),
            { content: "redeem points for the selected item", trigger: ".vip-gift-button", run: "click" },
            has(".orderline .vip-discount-label:contains('Points gift: 1000 pts')", "the gift line is named"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            has(".orderline .vip-discount-label:contains('Senior discount 5%')", "level discount"),
            pay(),
            has(".pos-receipt .vip-receipt-redeemed:contains('Points redeemed: 1000')", "redeemed points"),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 53')", "points earned"),
            has(".pos-receipt .vip-receipt-balance:contains('Points balance: 253')", "balance after"),
        ].flat(),
});

registry.category("web_tour.tours").add("vip_pos_cash_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-balance-value:contains('1200')", "the balance shows"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            has(".orderline .vip-discount-label:contains('Senior discount 5%')", "level discount"),
            { content: "let points pay part of the order", trigger: ".vip-cash-button", run: "click" },
            has(".orderline .vip-discount-label:contains('Points payment: 1200 pts')", "the points line is named"),
            pay(),
            has(".pos-receipt .vip-receipt-redeemed:contains('Points redeemed: 1200')", "redeemed points"),
            has(".pos-receipt .vip-receipt-balance:contains('Points balance: 53')", "balance after"),
        ].flat(),
});

registry.category("web_tour.tours").add("vip_pos_hand_over_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-open-gift-name:contains('Gift Scarf')", "the planned gift shows"),
            { content: "hand the gift over", trigger: ".vip-member-panel .vip-hand-over-button", run: "click" },
            has(".orderline .vip-discount-label:contains('Planned gift GIFT/')", "the gift line is named"),
            has(".vip-member-panel .vip-gift-on-order", "the panel says the gift is on the order"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            has(".orderline .vip-discount-label:contains('Senior discount 5%')", "level discount"),
            pay(),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 53')", "the gift earns nothing"),
        ].flat(),
});

const lineHas = (product, text, content) =>
    has(`.orderline:has(.product-name:contains('${product}')) .vip-discount-label:contains('${text}')`, content);
const lineDiscountIs = (product, percent) =>
    has(`.orderline:has(.product-name:contains('${product}')) em:contains('${percent}%')`, `${product} at ${percent}%`);

registry.category("web_tour.tours").add("vip_pos_cashier_discount_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-level-badge:contains('Senior')", "member recognised"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            lineHas("Silk Dress", "Senior discount 5%", "the level discount"),
            ProductScreen.clickNumpad("%"),
            ProductScreen.clickNumpad("1"),
            lineHas("Silk Dress", "Senior discount 5% (cashier 1% not applied)", "a lower typed discount yields"),
            lineDiscountIs("Silk Dress", 5),
            ProductScreen.clickNumpad("5"),
            lineHas("Silk Dress", "Cashier discount 15% (member 5% not applied)", "a higher typed discount stays"),
            lineDiscountIs("Silk Dress", 15),
            // Adding a line re-applies the member benefits: the cashier's 15% survives.
            ProductScreen.clickDisplayedProduct("Promo Coat"),
            lineHas("Promo Coat", "折上折 Senior 5% on 12% promotion", "the 折上折 line"),
            lineHas("Silk Dress", "Cashier discount 15% (member 5% not applied)", "still the cashier's"),
            lineDiscountIs("Silk Dress", 15),
            ProductScreen.clickNumpad("%"),
            ProductScreen.clickNumpad("2"),
            lineHas("Promo Coat", "折上折 Senior 5% on 12% promotion (cashier 2% not applied)", "member wins"),
            lineDiscountIs("Promo Coat", 5),
            pay(),
            has(".pos-receipt .orderline .vip-discount-label:contains('Cashier discount 15%')", "printed: cashier"),
            has(".pos-receipt .orderline .vip-discount-label:contains('(cashier 2% not applied)')", "printed: member"),
        ].flat(),
});

/** Not a test: tools/pos_screenshots.sh runs it to take the README's pictures. */
const shoot = (name) => ({
    content: `screenshot ${name}`,
    trigger: "body",
    run: async () => {
        console.log(`vip-screenshot:${name}`);
        await new Promise((resolve) => setTimeout(resolve, 2500));
    },
});

registry.category("web_tour.tours").add("vip_pos_screenshot_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            scan_barcode("VIPTOUR0001"),
            has(".vip-member-panel .vip-level-badge:contains('Senior')", "member recognised"),
            ProductScreen.clickDisplayedProduct("Silk Dress"),
            ProductScreen.clickDisplayedProduct("Promo Coat"),
            has(".orderline .vip-discount-label:contains('折上折')", "折上折"),
            { content: "hand over the planned gift", trigger: ".vip-member-panel .vip-hand-over-button", run: "click" },
            has(".orderline .vip-discount-label:contains('Planned gift')", "the gift line"),
            { content: "close the toast", trigger: ".o_notification .o_notification_close", run: "click" },
            shoot("pos_member"),
            pay(),
            has(".pos-receipt .vip-receipt-balance", "receipt"),
            shoot("pos_receipt"),
        ].flat(),
});

/** A lost card (VIPTOUR0001, replaced by the test) scanned at the till: the member, with a warning. */
function replacedCardSteps() {
    return [
        Chrome.startPoS(),
        Dialog.confirm("Open Register"),
        scan_barcode("VIPTOUR0001"),
        has(".vip-member-panel .vip-card-warning:contains('Card VIPTOUR0001 was replaced on')", "the warning"),
        has(".vip-member-panel .vip-member-name:contains('Chen Jing')", "the member, not a new customer"),
        has(".vip-member-panel .vip-level-badge:contains('Senior')", "with the member's level"),
        ProductScreen.clickDisplayedProduct("Silk Dress"),
        has(".orderline .vip-discount-label:contains('Senior discount 5%')", "the level discount"),
    ].flat();
}

registry.category("web_tour.tours").add("vip_pos_replaced_card_tour", {
    steps: () =>
        [
            replacedCardSteps(),
            pay(),
            has(".pos-receipt .vip-receipt-card:contains('VIP0')", "the new card on the receipt"),
            has(".pos-receipt .vip-receipt-earned:contains('Points earned: 53')", "earned by the member"),
        ].flat(),
});

registry.category("web_tour.tours").add("vip_pos_replaced_card_screenshot_tour", {
    steps: () => [replacedCardSteps(), shoot("pos_replaced_card")].flat(),
});
