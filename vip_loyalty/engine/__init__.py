"""Business rules of vip_loyalty as plain Python: no Odoo import, no I/O.

The Odoo models read records, call these functions, and write the results.
"""
