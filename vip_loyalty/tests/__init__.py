from . import test_complaints, test_concurrency, test_levels, test_membership, test_points, test_tour
