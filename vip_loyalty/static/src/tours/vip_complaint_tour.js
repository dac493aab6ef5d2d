import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("vip_loyalty_complaint_tour", {
    steps: () => [
        {
            content: "The kanban shows the new complaint",
            trigger: ".o_kanban_view .o_kanban_record:contains('Tour Complainer Qian')",
            run: "click",
        },
        {
            content: "Start handling it",
            trigger: ".o_form_view button[name=action_start]",
            run: "click",
        },
        {
            content: "It is in progress",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('In Progress')",
        },
        {
            content: "Resolve without a resolution",
            trigger: ".o_form_view button[name=action_resolve]",
            run: "click",
        },
        {
            content: "The refusal says why",
            trigger: ".modal .modal-body:contains('Write the resolution')",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Write the resolution",
            trigger: ".o_field_widget[name=resolution] textarea",
            run: "edit Hem redone while the customer waited.",
        },
        {
            content: "Resolve",
            trigger: ".o_form_view button[name=action_resolve]",
            run: "click",
        },
        {
            content: "It is resolved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Resolved')",
        },
    ],
});
