from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestChineseTranslation(TransactionCase):
    def test_menus_fields_and_messages_in_simplified_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "vip_loyalty")])._update_translations(["zh_CN"])
        zh = self.env(context={"lang": "zh_CN"})
        self.assertEqual(zh.ref("vip_loyalty.vip_menu_members").name, "会员")
        self.assertEqual(zh.ref("vip_loyalty.vip_menu_configuration").name, "配置")
        field = zh["ir.model.fields"]._get("res.partner", "vip_points_balance")
        self.assertEqual(field.with_context(lang="zh_CN").field_description, "积分")
        self.assertEqual(
            zh["vip.level"].fields_get(["discount_percent"])["discount_percent"]["string"], "等级折扣（%）"
        )
