import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

tours.add("vip_loyalty_member_new_tour", {
    steps: () => [
        {
            content: "Members › New",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "The member screen opens",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour New Member Zhou",
        },
        {
            content: "Phone",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run: "edit +86 138 5555 0101",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The member is enrolled: active, with a card",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
        {
            content: "The card number is filled",
            trigger: ".o_field_widget[name=vip_card_number] input:value(/\\w+/)",
        },
        {
            content: "The level shows as a badge",
            trigger: ".o_field_widget[name=vip_level_badge_ids] .o_tag",
        },
    ],
});

tours.add("vip_loyalty_gift_new_tour", {
    steps: () => [
        {
            content: "Gifts › New",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "No action button before the gift is saved",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_notify]))",
        },
        {
            content: "Choose the member",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Tour Gift Member",
        },
        {
            content: "Pick the member",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Gift Member')",
            run: "click",
        },
        {
            content: "Choose the rule",
            trigger: ".o_field_widget[name=rule_id] input",
            run: "edit Tour Manual Gift",
        },
        {
            content: "Pick the rule",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Manual Gift')",
            run: "click",
        },
        {
            content: "The rule fills the product",
            trigger: ".o_field_widget[name=product_id] input:value(/Tour gift scarf/)",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the greeting can be sent now",
            trigger: ".o_form_view button[name=action_notify]",
        },
    ],
});

tours.add("vip_loyalty_adjust_points_tour", {
    steps: () => [
        {
            content: "Open the member",
            trigger: ".o_list_view .o_data_row td[name=name]:contains('Tour Adjust Member')",
            run: "click",
        },
        {
            content: "Adjust Points",
            trigger: ".o_form_view button[name=action_vip_adjust_points]",
            run: "click",
        },
        {
            content: "The dialog has a title",
            trigger: ".modal .modal-title:contains('Adjust Points')",
        },
        {
            content: "Points",
            trigger: ".modal .o_field_widget[name=points] input",
            run: "edit 1500",
        },
        {
            content: "Reason",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Goodwill after a late delivery",
        },
        {
            content: "Post",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The chatter shows the adjustment with its reason",
            trigger: ".o-mail-Message:contains('Goodwill after a late delivery'):contains('1500')",
        },
    ],
});

tours.add("vip_loyalty_complaint_drag_tour", {
    steps: () => [
        {
            content: "The stages follow the lifecycle, New first",
            trigger: ".o_kanban_group:eq(0) .o_column_title:contains('New')",
        },
        {
            content: "Empty stages have a column too",
            trigger: ".o_kanban_group:eq(4) .o_column_title:contains('Closed')",
        },
        {
            content: "Drag the complaint to In Progress",
            trigger: ".o_kanban_group:eq(0) .o_kanban_record:contains('Tour Drag Customer')",
            async run(helpers) {
                await helpers.drag_and_drop(".o_kanban_group:eq(1) .o_kanban_record:contains('Tour Busy Customer')", {
                    position: "bottom",
                    relative: true,
                });
            },
        },
        {
            content: "It is in progress",
            trigger: ".o_kanban_group:eq(1) .o_kanban_record:contains('Tour Drag Customer')",
        },
    ],
});
