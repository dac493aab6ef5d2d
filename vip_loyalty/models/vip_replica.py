"""Reports read from the read replica when Odoo has one (``db_replica_host``)."""

from contextlib import contextmanager

from odoo.modules import module as odoo_module
from odoo.tools import config


@contextmanager
def replica_env(env):
    """``env`` on a read-only cursor of the replica for the duration of the block, when the
    server has ``db_replica_host``; else ``env`` itself (everything as without a replica).

    Only for reads of committed data (a month's analysis, the ledger up to a month end): the
    replica does not see what this transaction has not committed. Records read through it
    belong to a cursor closed after the block: return plain values.
    """
    if config.get("db_replica_host") is False or odoo_module.current_test or env.cr.readonly:
        # No replica, a test, or a request Odoo already serves from the replica (@api.readonly,
        # the /report routes): the current cursor is the right one.
        yield env
        return
    with env.registry.cursor(readonly=True) as cr:
        yield env(cr=cr)
