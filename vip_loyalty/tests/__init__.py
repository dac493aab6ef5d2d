from . import (
    test_birthday_report,
    test_care_pos,
    test_concurrency,
    test_gifts,
    test_levels,
    test_membership,
    test_points,
    test_tour,
)
