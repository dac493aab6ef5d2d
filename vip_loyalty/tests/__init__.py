from . import (
    test_adoption,
    test_analysis,
    test_complaints,
    test_concurrency,
    test_levels,
    test_membership,
    test_points,
    test_pos_screenshots,
    test_pos_terminal,
    test_pos_tour,
    test_segmentation,
    test_tour,
)
