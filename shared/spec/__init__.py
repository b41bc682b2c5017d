"""The spec (what dataset to generate) and the blueprint sampler (what each sample will be)."""

from shared.spec.marginals import (
    acceptance_rate,
    expected_distribution,
    realised_counts,
    realised_distribution,
)
from shared.spec.model import (
    Bernoulli,
    Categorical,
    Constraint,
    Property,
    Range,
    Shape,
    Spec,
    SpecError,
    Value,
    ValueType,
)
from shared.spec.parse import DEFAULT_SPEC_PATH, read_default_domains
from shared.spec.rules import (
    NO_JOIN,
    RULES,
    SQL_COMPLEXITY_LABELS,
    WELL_KNOWN,
    build_blueprint,
    feature_property,
    label_sql_complexity,
)
from shared.spec.sampler import BlueprintSampler, SamplingError
from shared.spec.validate import build_spec, default_spec, load_spec, validate_spec

__all__ = [
    "DEFAULT_SPEC_PATH",
    "NO_JOIN",
    "RULES",
    "SQL_COMPLEXITY_LABELS",
    "WELL_KNOWN",
    "Bernoulli",
    "BlueprintSampler",
    "Categorical",
    "Constraint",
    "Property",
    "Range",
    "SamplingError",
    "Shape",
    "Spec",
    "SpecError",
    "Value",
    "ValueType",
    "acceptance_rate",
    "build_blueprint",
    "build_spec",
    "default_spec",
    "expected_distribution",
    "feature_property",
    "label_sql_complexity",
    "load_spec",
    "read_default_domains",
    "realised_counts",
    "realised_distribution",
    "validate_spec",
]
