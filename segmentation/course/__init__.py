"""Teaching material for the notebooks: exercise checks and small made-up data sets.

Not needed to segment customers. The notebooks import from here, for example
``from segmentation.course import check_objective``; each name is imported from its module
the first time it is used.
"""

from __future__ import annotations

from segmentation._lazy import lazy_names

#: Where each name lives: the module, then the names it gives.
_MODULES: dict[str, tuple[str, ...]] = {
    "segmentation.course.answers": ("Feedback",),
    "segmentation.course.checks_scenario": (
        "check_large_by_hand",
        "check_problem_type",
        "check_total_spending",
    ),
    "segmentation.course.checks_data": (
        "check_most_skewed",
        "check_outlier_customers",
        "check_strongest_pair",
    ),
    "segmentation.course.checks_kmeans": (
        "TINY",
        "TINY_CENTRES",
        "check_assignment",
        "check_new_centres",
        "check_objective",
    ),
    "segmentation.course.checks_choosing_k": ("check_dominant_feature", "check_k_choice"),
    "segmentation.course.checks_model": (
        "NEW_CUSTOMER",
        "check_new_customer_segment",
        "check_reloaded_segments",
    ),
    "segmentation.course.checks_clusterers": (
        "CLUSTER",
        "GAMMA",
        "TWO_ROWS",
        "check_cluster_mode",
        "check_moons_eps",
        "check_prototype_distance",
    ),
    "segmentation.course.checks_classifiers": (
        "CONFUSION",
        "NEW_SHOP",
        "check_retail_recall",
        "check_tree_channel",
    ),
    "segmentation.course.checks_rfm": (
        "RFM_AS_OF",
        "RFM_CODE",
        "RFM_CUSTOMER",
        "check_rfm_by_hand",
        "check_segment_of_code",
    ),
    "segmentation.course.checks_quality": (
        "FENCE_COLUMN",
        "IMPUTER_CASE",
        "check_mnar_growth",
        "check_tukey_fences",
    ),
    "segmentation.course.checks_fresh": (
        "POLICY_COST",
        "PSI_BATCH_SHARES",
        "PSI_REFERENCE_SHARES",
        "check_cheapest_policy",
        "check_psi_by_hand",
    ),
    "segmentation.course.checks_spark": (
        "MEMORY_MB",
        "MEMORY_SIZES",
        "SCALE_DECIMALS",
        "check_customers_in_memory",
        "check_scale_factor",
    ),
    "segmentation.course.toy_data": (
        "groups_with_noise",
        "groups_with_outliers",
        "moons",
        "unequal_groups",
        "unscaled_groups",
    ),
}

_HOME, __getattr__, __dir__ = lazy_names(__name__, globals(), _MODULES)

__all__ = sorted(_HOME)
