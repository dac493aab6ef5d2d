from . import test_analysis, test_concurrency, test_levels, test_membership, test_points, test_segmentation, test_tour
