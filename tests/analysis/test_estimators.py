"""scikit-learn's own checks (``check_estimator``) on every estimator of ``analysis``.

The estimators are found by walking the package: a new one is checked without editing this
file. A check an estimator cannot pass is listed below with the reason; it then runs as an
expected failure, so a check that starts passing shows as XPASS and its line can go.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import analysis

# Constructor arguments that keep a check run short; any other estimator runs as built bare.
QUICK: dict[str, dict[str, object]] = {
    "AutoKMeans": {"max_clusters": 5},
    "GapKMeans": {"max_clusters": 4},
    "LSAReducer": {"n_components": 2},
}

# Why a check fails. The checks feed numeric arrays (and sparse, complex, object, NaN, empty
# and 1-D ones); the stages below take something else by design, so the checks fail on their
# input, before they reach what they test.
TEXTS = "takes a sequence of texts, not the numeric array the check feeds it"
PREPARED = (
    "takes prepared answers (analysis.text.PreparedAnswer: lemmas, non-answer flag), "
    "not the numeric array the check feeds it"
)
PAIRS = "takes a pair (sentence vectors, texts), not the one numeric array the check feeds it"
SEGMENTS = "takes text segments and their needs, not the numeric array the check feeds it"
OFFERS = "fits on offer texts and scores need texts, not the numeric array the check feeds it"
ANSWERS = (
    "takes free-text answers and reads any value as text: it refuses no numeric, NaN, "
    "complex, sparse or empty input and records no n_features_in_"
)
STAND_IN = (
    "the do-nothing stand-in for WordVectors: it ignores its input (one zero column per "
    "text), so it neither validates nor remembers it"
)
MISSING_VOTES = (
    "NaN is a vote not cast in the vote matrix (Pol.is's convention), so fit accepts it "
    "instead of refusing it"
)

# The checks a stage fails when it takes no numeric array: every one feeds it such an array.
NOT_AN_ARRAY = (
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit1d",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)
# And those of a transformer's output, which its input already failed.
TRANSFORMER_OUTPUT = (
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)


def _but(checks: tuple[str, ...], *passing: str) -> tuple[str, ...]:
    return tuple(check for check in checks if check not in passing)


EXPECTED_FAILURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AnswerVectorizer": (PREPARED, NOT_AN_ARRAY + TRANSFORMER_OUTPUT),
    "ConceptProfile": (
        TEXTS,
        (
            "check_complex_data",
            "check_dict_unchanged",
            "check_dtype_object",
            "check_estimator_sparse_tag",
            "check_estimators_dtypes",
            "check_estimators_empty_data_messages",
            "check_estimators_nan_inf",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_fit1d",
            "check_fit2d_predict1d",
            "check_fit_idempotent",
            "check_fit_score_takes_y",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_pipeline_consistency",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
        ),
    ),
    # A 1-D array does not unpack as a pair: the ValueError that check_fit1d wants.
    "MeaningVectorizer": (PAIRS, _but(NOT_AN_ARRAY + TRANSFORMER_OUTPUT, "check_fit1d")),
    "NeedLabeler": (PREPARED, NOT_AN_ARRAY),
    "NeedsClusterer": (
        ANSWERS,
        (
            "check_clustering",
            "check_complex_data",
            "check_dtype_object",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_estimator_sparse_tag",
            "check_estimators_empty_data_messages",
            "check_estimators_nan_inf",
            "check_fit1d",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
        ),
    ),
    "NoVectors": (
        STAND_IN,
        (
            "check_complex_data",
            "check_dtype_object",
            "check_estimator_sparse_tag",
            "check_estimators_empty_data_messages",
            "check_estimators_nan_inf",
            "check_fit1d",
            "check_fit2d_predict1d",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
            "check_transformers_unfitted",
        ),
    ),
    "OfferMatcher": (OFFERS, _but(NOT_AN_ARRAY, "check_fit1d")),
    "OpinionGroups": (MISSING_VOTES, ("check_estimators_nan_inf",)),
    "PhraseLabeler": (SEGMENTS, NOT_AN_ARRAY),
    "SparsityAwarePCA": (MISSING_VOTES, ("check_estimators_nan_inf",)),
    "StemTfidf": (TEXTS, NOT_AN_ARRAY + TRANSFORMER_OUTPUT),
    "TfidfCosine": (OFFERS, NOT_AN_ARRAY),
    "WordVectors": (TEXTS, NOT_AN_ARRAY + TRANSFORMER_OUTPUT),
}


def estimator_classes() -> list[type[BaseEstimator]]:
    """Every estimator class defined in a module of ``analysis``."""
    found: list[type[BaseEstimator]] = []
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, BaseEstimator):
                found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def expected_failures(estimator: BaseEstimator) -> dict[str, str]:
    reason, checks = EXPECTED_FAILURES.get(type(estimator).__name__, ("", ()))
    return dict.fromkeys(checks, reason)


def test_estimator_classes_are_found_and_expectations_name_them() -> None:
    names = {cls.__name__ for cls in estimator_classes()}
    assert {"OfferMatcher", "OpinionGroups", "NeedsClusterer", "AutoKMeans"} <= names
    assert set(EXPECTED_FAILURES) - names == set()


@parametrize_with_checks(
    [cls(**QUICK.get(cls.__name__, {})) for cls in estimator_classes()],
    expected_failed_checks=expected_failures,
)
def test_estimator_passes_scikit_learn_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)
