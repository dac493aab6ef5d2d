import io
from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged
from PyPDF2 import PdfReader


@tagged("post_install", "-at_install")
class TestBirthdayListPdf(HttpCase):
    """The wall list is a real PDF (wkhtmltopdf) with exactly the month's birthdays."""

    def test_pdf_lists_exactly_next_month(self):
        advisor = new_test_user(self.env, login="vip_pdf_adv", name="Advisor Tang",
                                groups="vip_loyalty.group_vip_advisor")

        def member(name, birthday):
            partner = self.env["res.partner"].create({
                "name": name, "vip_birthday": birthday, "vip_advisor_id": advisor.id,
            })
            partner._vip_enrol(enrol_date=date(2025, 1, 1))
            return partner

        april = [member("Aprilia Ma", date(1991, 4, 3)), member("Aprilia Gu", date(1979, 4, 28))]
        others = [member("Martha He", date(1991, 3, 31)), member("Maya Lu", date(1988, 5, 1))]
        blist = self.env["vip.birthday.list"].create({"month": date(2031, 4, 17)})
        self.assertEqual(blist.month, date(2031, 4, 1))
        report = self.env.ref("vip_loyalty.action_report_vip_birthday_list").with_context(
            force_report_rendering=True)
        pdf, fmt = report._render_qweb_pdf(report.report_name, blist.ids)
        self.assertEqual(fmt, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:300])
        reader = PdfReader(io.BytesIO(pdf))
        self.assertEqual(round(reader.pages[0].mediabox.width), 595, "A4")
        # Debian's wkhtmltopdf (unpatched Qt) draws glyphs as outlines, so the PDF has no text
        # layer: the content is read from the HTML the same report renders for wkhtmltopdf.
        html = report._render_qweb_html(report.report_name, blist.ids, data={"report_type": "pdf"})[0].decode()
        for partner in april:
            self.assertIn(partner.name, html)
        for partner in others:
            self.assertNotIn(partner.name, html)
        self.assertIn("Advisor Tang", html)
        self.assertIn("03 April", html)
        self.assertLess(html.index("Aprilia Ma"), html.index("Aprilia Gu"), "in birthday order")
