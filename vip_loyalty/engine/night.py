"""The nightly job in shards: which members a shard covers.

Plain Python, no Odoo import. A night is cut into shards of consecutive member ids; the
shards together cover every id, so a lot or a member added between two members, or owned by
a non-member, still falls in exactly one shard.
"""

ID_MAX = 2**31 - 1  # PostgreSQL integer


def plan_shards(member_ids, shard_size: int) -> list[tuple[int, int]]:
    """Inclusive (first id, last id) ranges of about ``shard_size`` members each, in order,
    disjoint and covering 1..ID_MAX; one range when there are no members."""
    ids = sorted(set(member_ids))
    size = max(int(shard_size), 1)
    starts = [ids[i] for i in range(size, len(ids), size)]
    bounds = [1, *starts]
    return [(lo, (bounds[i + 1] - 1) if i + 1 < len(bounds) else ID_MAX) for i, lo in enumerate(bounds)]
