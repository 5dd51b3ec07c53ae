"""Helpers for the customer-segmentation course.

The public names of every subpackage can be imported from here, for example
``from segmentation import load_customers, SegmentationModel``. Importing the package only
defines names: each one is imported from its module the first time it is used, so nothing is
loaded, drawn or downloaded before then (and ``segmentation validate`` starts quickly).

How the library is laid out (the flow of the data, left to right)::

    CSV -> data (checked reader) -> preprocessing (spending, log, scaling)
        -> cluster (k-means, choosing k) -> model (pipeline, names, evaluation, file)
        -> segments -> report / viz (plots, explorer) / cli

``segmentation.course`` holds the notebooks' exercise checks and made-up data sets.
"""

from __future__ import annotations

from segmentation._lazy import lazy_names

__version__ = "0.1.0"

#: Where each public name lives: the module, then the names it gives.
_MODULES: dict[str, tuple[str, ...]] = {
    "segmentation.data.schema": (
        "ALL_COLUMNS",
        "CHANNELS",
        "LABEL_COLUMNS",
        "REGIONS",
        "SPENDING_COLUMNS",
        "data_dictionary",
    ),
    "segmentation.data.shipped": ("CourseDataChanged", "course_data_path", "load_customers"),
    "segmentation.transactions.generate": ("TransactionParams", "simulate_transactions"),
    "segmentation.transactions.generate_wholesale": ("wholesale_transactions",),
    "segmentation.transactions.shipped": ("load_transaction_truth", "load_transactions"),
    "segmentation.transactions.reader": (
        "read_and_clean",
        "read_transactions",
        "validate_transactions",
    ),
    "segmentation.transactions.cleaning": ("CleanLog", "clean_transactions"),
    "segmentation.data.problems": (
        "CustomerFileError",
        "CustomerFileWarning",
        "Problem",
        "Validation",
    ),
    "segmentation.data.reader": ("MAX_SPENDING", "read_customer_csv", "validate_customer_csv"),
    "segmentation.data.output": ("OutputPathError", "write_predictions"),
    "segmentation.data.simulate": (
        "simulate_customers",
        "write_customers_csv",
        "write_customers_parquet",
    ),
    "segmentation.preprocessing.spending": (
        "GRADES",
        "HAND_THRESHOLDS",
        "grade_by_hand",
        "iqr_outliers",
        "log_spending",
        "scaled",
        "skewness",
        "spending",
        "spending_scaler",
        "strongest_correlations",
        "total_spending",
    ),
    "segmentation.cluster.steps": ("assign", "initial_centres", "objective", "update_centres"),
    "segmentation.cluster.kmeans": ("FitHistory", "KMeans"),
    "segmentation.cluster.numbering": ("number_segments", "segment_profile"),
    "segmentation.cluster.kprototypes": (
        "KModes",
        "KPrototypes",
        "column_modes",
        "default_gamma",
        "matching_distance",
    ),
    "segmentation.cluster.compare": ("cluster_labels", "compare_clusterers"),
    "segmentation.cluster.hdbscan": ("HDBSCAN",),
    "segmentation.cluster.choosing": (
        "Segmentation",
        "best_silhouette",
        "elbow",
        "profiles_by_k",
        "scan_k",
        "segment_with_k",
    ),
    "segmentation.model.pipeline": ("SegmentationModel",),
    "segmentation.spark.session": ("SparkSetupError", "spark_session"),
    "segmentation.spark.pipeline": (
        "SparkOutputError",
        "fit_spark",
        "predict_spark",
        "spark_output_target",
    ),
    "segmentation.model.inputs": ("ModelInputError",),
    "segmentation.model.naming": ("Segment", "name_segments", "share_index"),
    "segmentation.model.evaluation": (
        "Evaluation",
        "silhouette_band",
        "silhouette_reading",
        "silhouette_scorer",
    ),
    "segmentation.model.persistence": ("load_model",),
    "segmentation.model.file_checks": ("ModelFileError",),
    "segmentation.viz.plots": (
        "cluster_colour",
        "plot_by_group",
        "plot_clusters",
        "plot_correlations",
        "plot_distributions",
        "plot_grade_mix",
        "plot_hand_grades",
        "plot_iterations",
        "plot_k_scores",
        "plot_objective",
        "plot_outliers",
        "plot_pairs",
        "plot_pca",
    ),
    "segmentation.viz.explorer": ("ExplorerModel", "KMeansExplorer"),
    "segmentation.viz.clusterers": ("ClustererExplorer", "clusterer_data", "run_clusterer"),
    "segmentation.viz.comparison": (
        "draw_partition",
        "plot_comparison",
        "plot_dendrogram",
        "plot_information_criteria",
        "plot_k_distances",
        "plot_partitions",
    ),
    "segmentation.report.html": ("build_report", "segment_summary"),
    "segmentation.viz.classifiers": (
        "plot_confusion_matrix",
        "plot_fold_scores",
        "plot_importances",
        "plot_roc_pr",
    ),
    "segmentation.classify.models": ("ClassifierSpec", "standard_classifiers"),
    "segmentation.classify.compare": ("ClassifierComparison", "compare_classifiers"),
    "segmentation.classify.explain": (
        "impurity_importance_table",
        "permutation_importance_table",
        "plot_partial_dependence",
        "shap_values",
        "tree_rules",
    ),
    "segmentation.classify.persistence": (
        "ClassifierFileError",
        "LoadedClassifier",
        "load_classifier",
        "save_classifier",
    ),
    "segmentation.rfm.table": ("RFM_COLUMNS", "rfm_table"),
    "segmentation.rfm.scores": (
        "SEGMENT_GRID",
        "SEGMENT_ORDER",
        "rfm_scores",
        "rfm_segments",
        "segment_sizes",
    ),
    "segmentation.rfm.activity": ("inactive_customers", "segments_without_inactive"),
    "segmentation.rfm.plus": ("PLUS_COLUMNS", "rfm_plus"),
    "segmentation.rfm.cohorts": ("cohort_retention",),
    "segmentation.rfm.compare": ("RFMClusters", "rfm_kmeans"),
    "segmentation.viz.rfm": ("plot_cohort_retention", "plot_segment_map", "plot_segment_sizes"),
    "segmentation.clv.summary": (
        "CLVDataError",
        "CLVFitError",
        "calibration_holdout",
        "customer_summary",
        "historic_value",
    ),
    "segmentation.clv.bgnbd": ("BGNBD",),
    "segmentation.clv.gammagamma": ("GammaGamma",),
    "segmentation.clv.value": (
        "discounted_purchases",
        "holdout_by_frequency",
        "holdout_errors",
        "predicted_value",
    ),
    "segmentation.viz.clv": ("plot_holdout_purchases", "plot_probability_alive"),
    "segmentation.quality.report": ("ColumnQuality", "QualityReport", "quality_report"),
    "segmentation.quality.missing": (
        "MissingValuesError",
        "choose_knn_k",
        "course_segments",
        "fill_missing",
        "hide_values",
        "imputation_study",
        "log_rmse",
        "make_imputers",
        "segment_change",
    ),
    "segmentation.quality.outliers": (
        "extreme_customers",
        "noise_study",
        "outlier_flags",
        "outlier_treatments",
        "tukey_flags",
    ),
    "segmentation.quality.semi": (
        "few_label_curve",
        "few_label_methods",
        "labelled_sample",
        "local_gamma",
        "median_gamma",
    ),
    "segmentation.viz.quality": (
        "plot_few_label_curve",
        "plot_imputation_study",
        "plot_noise_study",
    ),
    "segmentation.viz.fresh": ("plot_monitors", "plot_policies", "plot_stream"),
    "segmentation.viz.spark": ("plot_scale_out", "scale_results"),
    "segmentation.monitor.drift": (
        "DriftMonitor",
        "DriftReport",
        "centre_movement",
        "drift_report",
        "ks_test",
        "mean_distance",
        "psi",
        "setup_notes",
        "share_shift",
    ),
    "segmentation.monitor.stream": ("Stream", "simulate_stream"),
    "segmentation.monitor.policies": (
        "POLICIES",
        "PolicyRun",
        "compare_policies",
        "detection_table",
        "false_alarm_rate",
        "run_policy",
    ),
}

_HOME, __getattr__, __dir__ = lazy_names(__name__, globals(), _MODULES)

__all__ = ["__version__", *sorted(_HOME)]
