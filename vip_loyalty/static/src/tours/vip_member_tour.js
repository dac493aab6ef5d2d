import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("vip_loyalty_member_tour", {
    steps: () => [
        {
            content: "The member list shows the member with a card number",
            trigger: ".o_list_view .o_data_row:contains('Tour Member Sun Li') td[name=vip_card_number]:contains('VIP')",
        },
        {
            content: "Open the member",
            trigger: ".o_list_view .o_data_row td[name=name]:contains('Tour Member Sun Li')",
            run: "click",
        },
        {
            content: "The member screen leads with the level badge",
            trigger: ".o_field_widget[name=vip_level_badge_ids] .o_tag:contains('Member')",
        },
        {
            content: "The points balance is shown",
            trigger: ".o_field_widget[name=vip_points_balance]",
        },
    ],
});
