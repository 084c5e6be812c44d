"""project.config.json against project.config.schema.json, and the rules a schema cannot
state (they tie the config to the columns it declares and to what train.py accepts)."""
import copy
import json
import os

import pytest

import train
from json_schema_subset import SchemaKeywordError, validate

SEED_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY_METRICS = {"auc", "accuracy", "precision", "recall", "f1", "logLoss", "ece"}
REGRESSION_METRICS = {"rmse", "mae"}


def load(name):
    with open(os.path.join(SEED_CODE, name), encoding="utf-8") as f:
        return json.load(f)


SCHEMA = load("project.config.schema.json")
CONFIG = load("project.config.json")


def cross_field_problems(config):
    """Rules across fields; each problem names the field."""
    problems = []
    task = config["target"]["task"]
    features = [f["column"] for f in config["features"]]
    excluded = config.get("excludedColumns", [])
    if len(set(features)) != len(features):
        problems.append("features: a column is listed twice")
    for role, column in (("target.column", config["target"]["column"]), ("entityId", config.get("entityId"))):
        if column is not None and (column in features or column in excluded):
            problems.append(f"{role}: {column!r} must not also be a feature or an excluded column")
    if task == "regression" and "positiveLabel" in config["target"]:
        problems.append("target.positiveLabel: only applies to task binary")
    for column in config["drift"].get("features", {}):
        if column not in features:
            problems.append(f"drift.features.{column}: is not a feature column")
    subgroups = config.get("subgroups", [])
    for i, column in enumerate(subgroups):
        if column not in features and column not in excluded:
            problems.append(f"subgroups[{i}]: {column!r} is neither a feature nor an excluded column")
    for i, rule in enumerate(config["promotionPolicy"].get("rules", [])):
        if rule["kind"] == "subgroup-gap" and rule["column"] not in subgroups:
            problems.append(f"promotionPolicy.rules[{i}].column: {rule['column']!r} is not in subgroups")
        if rule["kind"] == "metric" and "min" not in rule and "max" not in rule:
            problems.append(f"promotionPolicy.rules[{i}]: a metric rule needs min, max or both")
    allowed = BINARY_METRICS if task == "binary" else REGRESSION_METRICS
    if config["primaryMetric"] not in allowed:
        problems.append(f"primaryMetric: {config['primaryMetric']!r} does not apply to task {task} (use one of {sorted(allowed)})")

    hyperparameters = config["training"]["hyperparameters"]
    try:
        params = train.parse_hyperparameters(hyperparameters)
    except train.TrainingError as error:
        return problems + [f"training.hyperparameters: {error}"]
    expected_objective = "binary:logistic" if task == "binary" else "reg:squarederror"
    if params["objective"] != expected_objective:
        problems.append(f"training.hyperparameters.objective: must be {expected_objective} for task {task}")

    tuning = config.get("tuning")
    if tuning:
        metric = params["eval_metric"]
        if tuning["objective"]["metric"] != f"validation:{metric}":
            problems.append(f"tuning.objective.metric: must be validation:{metric} (the eval_metric train.py logs)")
        direction = "Maximize" if train.EVAL_METRICS[params["objective"]][metric] else "Minimize"
        if tuning["objective"]["type"] != direction:
            problems.append(f"tuning.objective.type: must be {direction} for {metric}")
        for name, spec in tuning["ranges"].items():
            field = f"tuning.ranges.{name}"
            if name not in train.NUMERIC_HYPERPARAMETERS:
                problems.append(f"{field}: is not a tunable train.py hyperparameter")
                continue
            candidates = spec["values"] if spec["type"] == "categorical" else [str(spec["min"]), str(spec["max"])]
            if spec["type"] != "categorical":
                if not spec["min"] < spec["max"]:
                    problems.append(f"{field}: min {spec['min']} must be below max {spec['max']}")
                if spec.get("scaling") in ("Logarithmic", "ReverseLogarithmic") and spec["min"] <= 0:
                    problems.append(f"{field}: logarithmic scaling needs min > 0")
            for value in candidates:
                try:
                    train.parse_hyperparameters({"objective": params["objective"], name: value})
                except train.TrainingError as error:
                    problems.append(f"{field}: {error}")
    return problems


def test_the_schema_uses_only_checked_keywords_and_the_config_satisfies_it():
    assert validate(CONFIG, SCHEMA) == []


def test_the_config_satisfies_the_cross_field_rules():
    assert cross_field_problems(CONFIG) == []


def mutated(change):
    config = copy.deepcopy(CONFIG)
    change(config)
    return config


@pytest.mark.parametrize("change, error", [
    (lambda c: c.pop("primaryMetric"), "$: primaryMetric is required"),
    (lambda c: c.update(project="Readmission Risk"), "$.project: must match ^[a-z][a-z0-9-]{2,31}$, got 'Readmission Risk'"),
    (lambda c: c["features"][1].update(type="float"), "$.features[1].type: must be one of ['numeric', 'boolean', 'categorical'], got 'float'"),
    (lambda c: c["drift"]["features"]["glucose"].update(threshold=2), "$.drift.features.glucose.threshold: must be <= 1, got 2"),
    (lambda c: c["training"]["hyperparameters"].update(num_round=300), "$.training.hyperparameters.num_round: must be of type string, got int"),
    (lambda c: c["tuning"]["ranges"]["max_depth"].update(min=2.5),
     "$.tuning.ranges.max_depth: must match exactly one alternative ($.tuning.ranges.max_depth.type: must be 'continuous', got 'integer')"),
    (lambda c: c["promotionPolicy"]["rules"].append({"kind": "quorum"}),
     "$.promotionPolicy.rules[3]: must match exactly one alternative"),
    (lambda c: c.update(owner="me"), "$: owner is not allowed"),
])
def test_the_schema_names_the_field_that_breaks_it(change, error):
    errors = validate(mutated(change), SCHEMA)
    assert any(e.startswith(error) for e in errors), errors


@pytest.mark.parametrize("change, problem", [
    (lambda c: c["subgroups"].append("zip"), "subgroups[2]: 'zip' is neither a feature nor an excluded column"),
    (lambda c: c["drift"]["features"].update(heart_rate={"threshold": 0.3}), "drift.features.heart_rate: is not a feature column"),
    (lambda c: c["training"]["hyperparameters"].update(max_depth="64"), "training.hyperparameters: hyperparameter max_depth: must be from 1 to 30, got '64'"),
    (lambda c: c["tuning"]["ranges"].update(gamma={"type": "continuous", "min": 0, "max": 1}), "tuning.ranges.gamma: is not a tunable train.py hyperparameter"),
    (lambda c: c["tuning"]["ranges"]["subsample"].update(max=1.2), "tuning.ranges.subsample: hyperparameter subsample: must be > 0 and <= 1, got '1.2'"),
    (lambda c: c["tuning"]["ranges"]["eta"].update(min=0.5), "tuning.ranges.eta: min 0.5 must be below max 0.3"),
    (lambda c: c["tuning"]["objective"].update(type="Minimize"), "tuning.objective.type: must be Maximize for auc"),
    (lambda c: c["target"].update(task="regression"), "target.positiveLabel: only applies to task binary"),
    (lambda c: c.update(entityId="age"), "entityId: 'age' must not also be a feature or an excluded column"),
])
def test_cross_field_rules_name_the_field(change, problem):
    assert problem in cross_field_problems(mutated(change))


def test_a_schema_keyword_outside_the_subset_is_refused():
    with pytest.raises(SchemaKeywordError, match=r"\$: schema keywords \['if'\] are outside the checked subset"):
        validate({}, {"type": "object", "if": {}})
