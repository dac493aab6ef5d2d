/** VIP loyalty: quick enrolment at the till, name and phone only. */
import { Component, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { _t } from "@web/core/l10n/translation";

export class VipEnrolDialog extends Component {
    static template = "vip_loyalty.VipEnrolDialog";
    static components = { Dialog };
    static props = { getPayload: Function, close: Function, name: { type: String, optional: true } };

    setup() {
        this.pos = usePos();
        this.state = useState({ name: this.props.name || "", phone: "", card: "", birthday: "", error: "", busy: false });
    }

    async confirm() {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        this.state.error = "";
        try {
            const partner = await this.pos.vipEnrol(
                this.state.name,
                this.state.phone,
                this.state.card,
                this.state.birthday
            );
            this.props.getPayload(partner);
            this.props.close();
        } catch (error) {
            this.state.error = error?.data?.message || error?.message || _t("The member could not be enrolled.");
        } finally {
            this.state.busy = false;
        }
    }
}
