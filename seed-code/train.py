"""LuminaOps training script: XGBoost on SageMaker (GPU when present), same contract as the
local cloud's embedded trainer. The contract is written down in README.md; in short:

  channels   train/, validation/ (test/ optional): data.csv, header row, first column
             `label`, then encoded numeric features in model order (empty cell = missing);
             encoding/: encoding.json, copied into the model dir untouched
  params     /opt/ml/input/config/hyperparameters.json (all values are strings)
  outputs    model dir: xgboost-model.json, metrics.json, encoding.json
             output dir: failure (the reason, when the job fails)
  checkpoint /opt/ml/checkpoints (when the directory exists): resumed from the latest one

Run it locally with `python3 train.py --local ROOT`, where ROOT stands in for /opt/ml.
Dependencies: xgboost (1.7.x or 2.x) and numpy only.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import traceback

import numpy as np
import xgboost as xgb

MODEL_FILE = "xgboost-model.json"
METRICS_FILE = "metrics.json"
ENCODING_FILE = "encoding.json"
DATA_FILE = "data.csv"
LABEL_COLUMN = "label"
# SageMaker shows at most 1024 characters of the failure reason.
FAILURE_REASON_LIMIT = 1024
CHECKPOINT_PATTERN = re.compile(r"^xgboost-checkpoint-(\d+)\.json$")
# Checkpoints written over a run: often enough to lose little on a spot interruption,
# rarely enough that rewriting a growing model does not dominate training.
CHECKPOINTS_PER_RUN = 50
CHECKPOINTS_KEPT = 2
# Attribute keys the LuminaOps model reader (lambdas/core/ml/xgboost-json.ts) understands.
FEATURES_ATTRIBUTE = "luminaops.features"
ENCODINGS_ATTRIBUTE = "luminaops.encodings"


class TrainingError(Exception):
    """A problem with the job's inputs; the message names the field, row or column."""


# ---------------------------------------------------------------------------------------
# Hyperparameters

OBJECTIVES = ("binary:logistic", "reg:squarederror")
# eval_metric -> higher is better
EVAL_METRICS = {
    "binary:logistic": {"auc": True, "aucpr": True, "logloss": False, "error": False},
    "reg:squarederror": {"rmse": False, "mae": False, "mape": False},
}
DEFAULT_EVAL_METRIC = {"binary:logistic": "auc", "reg:squarederror": "rmse"}


def _integer(low, high):
    def parse(name, text):
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            raise TrainingError(f"hyperparameter {name}: must be an integer, got {text!r}")
        value = int(text)
        if not low <= value <= high:
            raise TrainingError(f"hyperparameter {name}: must be from {low} to {high}, got {text!r}")
        return value
    return parse


def _number(minimum=None, above=None, maximum=None):
    def parse(name, text):
        try:
            value = float(text)
        except ValueError:
            raise TrainingError(f"hyperparameter {name}: must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise TrainingError(f"hyperparameter {name}: must be a finite number, got {text!r}")
        bounds = []
        if above is not None:
            bounds.append(f"> {above:g}")
        if minimum is not None:
            bounds.append(f">= {minimum:g}")
        if maximum is not None:
            bounds.append(f"<= {maximum:g}")
        if ((above is not None and not value > above) or (minimum is not None and value < minimum)
                or (maximum is not None and value > maximum)):
            raise TrainingError(f"hyperparameter {name}: must be {' and '.join(bounds)}, got {text!r}")
        return value
    return parse


# name -> (parser, default). Ranges follow XGBoost's and the embedded trainer's
# (lambdas/core/ml/training-params.ts). objective and eval_metric are checked apart.
NUMERIC_HYPERPARAMETERS = {
    "num_round": (_integer(1, 100_000), 100),
    "max_depth": (_integer(1, 30), 6),
    "eta": (_number(above=0, maximum=1), 0.3),
    "lambda": (_number(minimum=0), 1.0),
    "alpha": (_number(minimum=0), 0.0),
    "min_child_weight": (_number(minimum=0), 1.0),
    "subsample": (_number(above=0, maximum=1), 1.0),
    "colsample_bytree": (_number(above=0, maximum=1), 1.0),
    "max_bin": (_integer(2, 65_535), 256),
    # 0 turns early stopping off.
    "early_stopping_rounds": (_integer(0, 100_000), 0),
    "seed": (_integer(0, 2**31 - 1), 0),
    "scale_pos_weight": (_number(above=0), 1.0),
}
HYPERPARAMETER_NAMES = ("objective", "eval_metric", *NUMERIC_HYPERPARAMETERS)


def _unquote(value):
    """The SageMaker Python SDK JSON-encodes framework hyperparameters ('"binary:logistic"')."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return decoded
    return value


def parse_hyperparameters(raw):
    """Checks SageMaker's string hyperparameters and fills in defaults.

    Keys SageMaker adds itself (sagemaker_* for script mode, _tuning_objective_metric for
    tuning jobs) are ignored; any other unknown key is an error, so a typo cannot pass.
    """
    if not isinstance(raw, dict):
        raise TrainingError(f"hyperparameters: must be a JSON object of strings, got {type(raw).__name__}")
    values = {}
    for name, value in raw.items():
        if name.startswith("sagemaker_") or name.startswith("_"):
            continue
        if name not in HYPERPARAMETER_NAMES:
            raise TrainingError(f"hyperparameter {name}: unknown (known: {', '.join(HYPERPARAMETER_NAMES)})")
        value = _unquote(value)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TrainingError(f"hyperparameter {name}: must be a string, got {json.dumps(value)}")
        values[name] = str(value)

    objective = values.get("objective", "binary:logistic")
    if objective not in OBJECTIVES:
        raise TrainingError(f"hyperparameter objective: must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    params = {"objective": objective}
    for name, (parse, default) in NUMERIC_HYPERPARAMETERS.items():
        params[name] = parse(name, values[name]) if name in values else default
    if objective != "binary:logistic" and "scale_pos_weight" in values:
        raise TrainingError(f"hyperparameter scale_pos_weight: only applies to binary:logistic, got {values['scale_pos_weight']!r} with {objective}")
    metric = values.get("eval_metric", DEFAULT_EVAL_METRIC[objective])
    if metric not in EVAL_METRICS[objective]:
        raise TrainingError(f"hyperparameter eval_metric: must be one of {', '.join(EVAL_METRICS[objective])} for {objective}, got {metric!r}")
    params["eval_metric"] = metric
    return params


def read_hyperparameters(path):
    if not os.path.exists(path):
        # SageMaker always writes the file; a missing one means "all defaults".
        return parse_hyperparameters({})
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except ValueError as error:
        raise TrainingError(f"hyperparameters file {path}: is not valid JSON ({error})") from None
    return parse_hyperparameters(raw)


# ---------------------------------------------------------------------------------------
# Device

def xgboost_major_version(version=None):
    return int((version or xgb.__version__).split(".")[0])


def gpu_available(environ=None, nvidia_smi=None):
    """SM_NUM_GPUS (set by SageMaker) decides; elsewhere `nvidia-smi -L` listing a GPU does."""
    environ = os.environ if environ is None else environ
    if environ.get("SM_NUM_GPUS", "").strip() != "":
        try:
            return int(environ["SM_NUM_GPUS"]) > 0
        except ValueError:
            raise TrainingError(f"environment SM_NUM_GPUS: must be an integer, got {environ['SM_NUM_GPUS']!r}") from None
    command = nvidia_smi or shutil.which("nvidia-smi")
    if command is None:
        return False
    try:
        result = subprocess.run([command, "-L"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "GPU " in result.stdout


def device_params(use_gpu, version=None):
    """XGBoost >= 2 picks the device with `device`; 1.7 with the tree method."""
    if xgboost_major_version(version) >= 2:
        return {"tree_method": "hist", "device": "cuda" if use_gpu else "cpu"}
    return {"tree_method": "gpu_hist" if use_gpu else "hist"}


def choose_device(environ=None):
    """LUMINAOPS_DEVICE=cpu|cuda|auto overrides detection (auto by default)."""
    environ = os.environ if environ is None else environ
    requested = environ.get("LUMINAOPS_DEVICE", "auto").strip() or "auto"
    if requested not in ("auto", "cpu", "cuda"):
        raise TrainingError(f"environment LUMINAOPS_DEVICE: must be auto, cpu or cuda, got {requested!r}")
    use_gpu = gpu_available(environ) if requested == "auto" else requested == "cuda"
    if use_gpu and not xgb.build_info().get("USE_CUDA", False):
        # A GPU instance training on its CPU would cost GPU prices for nothing: refuse.
        raise TrainingError(
            f"device: a GPU is present but XGBoost {xgb.__version__} was built without CUDA; "
            "use a GPU-enabled XGBoost image or set LUMINAOPS_DEVICE=cpu")
    return use_gpu


# ---------------------------------------------------------------------------------------
# Data

def read_channel_csv(channel, directory, objective, expected_header=None):
    """Reads <directory>/data.csv into (header, features float32 [n, f], labels float32 [n])."""
    path = os.path.join(directory, DATA_FILE)
    if not os.path.isfile(path):
        raise TrainingError(f"channel {channel}: {path} not found (each channel holds one {DATA_FILE})")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise TrainingError(f"channel {channel}: {DATA_FILE} is empty (expected a header row)")
        header = [name.strip() for name in header]
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        _check_header(channel, header, expected_header)
        width = len(header)
        rows = []
        for line, cells in enumerate(reader, start=2):
            if not cells:
                continue
            if len(cells) != width:
                raise TrainingError(f"channel {channel}: {DATA_FILE} line {line}: has {len(cells)} cells, the header has {width}")
            row = []
            for name, cell in zip(header, cells):
                row.append(_parse_cell(channel, line, name, cell))
            rows.append(row)
    if not rows:
        raise TrainingError(f"channel {channel}: {DATA_FILE} has a header but no rows")
    matrix = np.asarray(rows, dtype=np.float64)
    labels = matrix[:, 0]
    missing = np.flatnonzero(np.isnan(labels))
    if missing.size:
        raise TrainingError(f"channel {channel}: {DATA_FILE} line {missing[0] + 2}: column {LABEL_COLUMN} is empty (every row needs a label)")
    if objective == "binary:logistic":
        bad = np.flatnonzero((labels != 0) & (labels != 1))
        if bad.size:
            raise TrainingError(f"channel {channel}: {DATA_FILE} line {bad[0] + 2}: column {LABEL_COLUMN} must be 0 or 1 for binary:logistic, got {labels[bad[0]]:g}")
    # XGBoost works in float32; so does the ONNX model scored later.
    return header, matrix[:, 1:].astype(np.float32), labels.astype(np.float32)


def _check_header(channel, header, expected):
    if len(header) < 2 or header[0] != LABEL_COLUMN:
        raise TrainingError(f"channel {channel}: {DATA_FILE} header must start with {LABEL_COLUMN!r} followed by the features, got {','.join(header)!r}")
    seen = set()
    for position, name in enumerate(header[1:], start=2):
        if name == "":
            raise TrainingError(f"channel {channel}: {DATA_FILE} header column {position} has no name")
        # XGBoost refuses these characters in feature names.
        if any(c in name for c in "[]<"):
            raise TrainingError(f"channel {channel}: {DATA_FILE} header column {position} ({name!r}) must not contain '[', ']' or '<'")
        if name in seen or name == LABEL_COLUMN:
            raise TrainingError(f"channel {channel}: {DATA_FILE} header column {position} ({name!r}) is a duplicate")
        seen.add(name)
    if expected is not None and header != expected:
        for position, (got, want) in enumerate(zip(header, expected), start=1):
            if got != want:
                raise TrainingError(f"channel {channel}: {DATA_FILE} header column {position} is {got!r} but the train channel has {want!r}")
        raise TrainingError(f"channel {channel}: {DATA_FILE} header has {len(header)} columns but the train channel has {len(expected)}")


def _parse_cell(channel, line, column, cell):
    text = cell.strip()
    if text == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise TrainingError(f"channel {channel}: {DATA_FILE} line {line}, column {column!r}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise TrainingError(f"channel {channel}: {DATA_FILE} line {line}, column {column!r}: {cell!r} is not finite (leave the cell empty for a missing value)")
    return value


def read_encoding(directory, feature_names):
    """Reads encoding.json. When it is a LuminaOps tabular encoding ({features, encodings}),
    its feature names must be the CSV's feature columns, in order."""
    path = os.path.join(directory, ENCODING_FILE)
    if not os.path.isfile(path):
        raise TrainingError(f"channel encoding: {path} not found (the tabular encoding the features were made with)")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError as error:
        raise TrainingError(f"channel encoding: {ENCODING_FILE} is not valid JSON ({error})") from None
    if isinstance(document, dict) and isinstance(document.get("features"), list):
        names = [f.get("name") if isinstance(f, dict) else None for f in document["features"]]
        if names != feature_names:
            raise TrainingError(
                f"channel encoding: {ENCODING_FILE} features {names} are not the train channel's feature columns {feature_names}")
    return path, document


def encoding_attributes(document):
    """The reader's luminaops.* attributes, so the model carries its column mapping."""
    if not (isinstance(document, dict) and isinstance(document.get("features"), list)
            and isinstance(document.get("encodings"), list)):
        return {}
    features = [{"name": f["name"], "column": f.get("column", f["name"]), "type": f.get("type", "float")}
                for f in document["features"]]
    return {FEATURES_ATTRIBUTE: json.dumps(features, separators=(",", ":")),
            ENCODINGS_ATTRIBUTE: json.dumps(document["encodings"], separators=(",", ":"))}


# ---------------------------------------------------------------------------------------
# Checkpoints (managed spot training)

def latest_checkpoint(directory):
    """(round count, model path, state) of the newest complete checkpoint, or None."""
    if not directory or not os.path.isdir(directory):
        return None
    rounds = sorted((int(m.group(1)) for m in map(CHECKPOINT_PATTERN.match, os.listdir(directory)) if m), reverse=True)
    for count in rounds:
        model_path = os.path.join(directory, f"xgboost-checkpoint-{count}.json")
        state_path = os.path.join(directory, f"xgboost-checkpoint-{count}.state.json")
        try:
            with open(state_path, encoding="utf-8") as f:
                state = json.load(f)
        except (OSError, ValueError):
            continue  # interrupted while writing: fall back to the one before
        if state.get("rounds") == count:
            return count, model_path, state
    return None


def write_checkpoint(directory, booster, state):
    count = state["rounds"]
    model_path = os.path.join(directory, f"xgboost-checkpoint-{count}.json")
    state_path = os.path.join(directory, f"xgboost-checkpoint-{count}.state.json")
    booster.save_model(model_path + ".tmp.json")
    os.replace(model_path + ".tmp.json", model_path)
    # The state file is written last: a checkpoint counts only once it exists.
    with open(state_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(state_path + ".tmp", state_path)
    for match in map(CHECKPOINT_PATTERN.match, os.listdir(directory)):
        if match and int(match.group(1)) <= count - CHECKPOINTS_KEPT:
            old = int(match.group(1))
            for name in (f"xgboost-checkpoint-{old}.json", f"xgboost-checkpoint-{old}.state.json"):
                try:
                    os.remove(os.path.join(directory, name))
                except FileNotFoundError:
                    pass


# ---------------------------------------------------------------------------------------
# Training

def _evaluate(booster, evals, iteration):
    """Booster.eval_set's "[i]\\ttrain-auc:0.9\\tvalidation-auc:0.8" as {'train': 0.9, ...}."""
    text = booster.eval_set(evals, iteration)
    scores = {}
    for part in text.split("\t")[1:]:
        key, value = part.rsplit(":", 1)
        scores[key.split("-", 1)[0]] = float(value)
    return scores


def _format(value):
    return f"{value:.6f}"


def train(paths, log=print):
    """Runs one training job; returns the metrics document it wrote."""
    params = read_hyperparameters(paths["hyperparameters"])
    objective, metric = params["objective"], params["eval_metric"]
    higher_is_better = EVAL_METRICS[objective][metric]

    header, x_train, y_train = read_channel_csv("train", paths["train"], objective)
    feature_names = header[1:]
    _, x_valid, y_valid = read_channel_csv("validation", paths["validation"], objective, header)
    test = None
    if paths.get("test") and os.path.isdir(paths["test"]):
        test = read_channel_csv("test", paths["test"], objective, header)
    encoding_path, encoding = read_encoding(paths["encoding"], feature_names)
    if objective == "binary:logistic":
        for channel, labels in (("train", y_train), ("validation", y_valid)):
            if channel == "train" or metric in ("auc", "aucpr"):
                if np.unique(labels).size < 2:
                    raise TrainingError(f"channel {channel}: {LABEL_COLUMN} has only class {labels[0]:g}; "
                                        f"{'training' if channel == 'train' else metric} needs rows of both classes")

    use_gpu = choose_device()
    booster_params = {
        "objective": objective,
        "eval_metric": metric,
        "max_depth": params["max_depth"],
        "eta": params["eta"],
        "lambda": params["lambda"],
        "alpha": params["alpha"],
        "min_child_weight": params["min_child_weight"],
        "subsample": params["subsample"],
        "colsample_bytree": params["colsample_bytree"],
        "max_bin": params["max_bin"],
        "seed": params["seed"],
        "verbosity": 1,
        **device_params(use_gpu),
    }
    if objective == "binary:logistic":
        booster_params["scale_pos_weight"] = params["scale_pos_weight"]

    dtrain = xgb.DMatrix(x_train, label=y_train, missing=np.nan, feature_names=feature_names)
    dvalid = xgb.DMatrix(x_valid, label=y_valid, missing=np.nan, feature_names=feature_names)
    evals = [(dtrain, "train"), (dvalid, "validation")]

    history = {"train": [], "validation": []}
    best_iteration, best_score, resumed_from = None, None, None
    checkpoint_dir = paths.get("checkpoints")
    checkpoint = latest_checkpoint(checkpoint_dir)
    if checkpoint is not None:
        resumed_from, model_path, state = checkpoint
        if state.get("eval_metric") != metric or state.get("objective") != objective:
            raise TrainingError(f"checkpoint {model_path}: was trained with {state.get('objective')}/{state.get('eval_metric')}, this job asks for {objective}/{metric}")
        booster = xgb.Booster(booster_params, [dtrain, dvalid], model_file=model_path)
        history = state["history"]
        best_iteration, best_score = state["best_iteration"], state["best_score"]
        if resumed_from > params["num_round"]:
            raise TrainingError(f"checkpoint {model_path}: holds {resumed_from} rounds but hyperparameter num_round is {params['num_round']}")
        log(f"resuming from checkpoint {model_path} after {resumed_from} rounds")
    else:
        booster = xgb.Booster(booster_params, [dtrain, dvalid])
    log(f"xgboost {xgb.__version__}, device {'cuda' if use_gpu else 'cpu'} ({booster_params['tree_method']}), "
        f"{x_train.shape[0]} train rows, {x_valid.shape[0]} validation rows, {len(feature_names)} features")

    num_round = params["num_round"]
    patience = params["early_stopping_rounds"]
    checkpoint_every = max(1, math.ceil(num_round / CHECKPOINTS_PER_RUN))
    rounds = resumed_from or 0
    stopped_early = patience > 0 and best_iteration is not None and rounds - 1 - best_iteration >= patience
    while rounds < num_round and not stopped_early:
        booster.update(dtrain, rounds)
        scores = _evaluate(booster, evals, rounds)
        history["train"].append(scores["train"])
        history["validation"].append(scores["validation"])
        score = scores["validation"]
        if best_score is None or (score > best_score if higher_is_better else score < best_score):
            best_iteration, best_score = rounds, score
        log(f"[{rounds}] train-{metric}: {_format(scores['train'])} validation-{metric}: {_format(score)}")
        rounds += 1
        stopped_early = patience > 0 and rounds - 1 - best_iteration >= patience
        if checkpoint_dir and os.path.isdir(checkpoint_dir) and (rounds % checkpoint_every == 0 or rounds == num_round or stopped_early):
            write_checkpoint(checkpoint_dir, booster, {
                "rounds": rounds, "objective": objective, "eval_metric": metric, "history": history,
                "best_iteration": best_iteration, "best_score": best_score,
            })
    if stopped_early:
        log(f"early stopping: no better validation-{metric} for {patience} rounds after round {best_iteration}")
    if patience == 0:
        # Without early stopping the model is the whole run (XGBoost's own convention).
        best_iteration, best_score = rounds - 1, history["validation"][rounds - 1]

    attributes = {"best_iteration": str(best_iteration), "best_ntree_limit": str(best_iteration + 1),
                  "best_score": repr(best_score), "eval_metric": metric, **encoding_attributes(encoding)}
    version = _seed_code_version()
    if version:
        attributes["seed_code_version"] = version
    booster.set_attr(**attributes)

    best = {
        "train": {metric: history["train"][best_iteration]},
        "validation": {metric: history["validation"][best_iteration]},
    }
    if test is not None:
        _, x_test, y_test = test
        dtest = xgb.DMatrix(x_test, label=y_test, missing=np.nan, feature_names=feature_names)
        best["test"] = {metric: _evaluate(booster[: best_iteration + 1], [(dtest, "test")], best_iteration)["test"]}

    os.makedirs(paths["model_dir"], exist_ok=True)
    booster.save_model(os.path.join(paths["model_dir"], MODEL_FILE))
    shutil.copyfile(encoding_path, os.path.join(paths["model_dir"], ENCODING_FILE))
    metrics = {
        "objective": objective,
        "eval_metric": metric,
        "higher_is_better": higher_is_better,
        "best_iteration": best_iteration,
        "best_score": best_score,
        "rounds": rounds,
        "stopped_early": stopped_early,
        "resumed_from_round": resumed_from,
        # Final values: the round the model predicts with (best_iteration).
        **best,
        "history": {"train": {metric: history["train"]}, "validation": {metric: history["validation"]}},
        "xgboost_version": xgb.__version__,
        "device": "cuda" if use_gpu else "cpu",
    }
    for directory in (paths["model_dir"], paths["output_data_dir"]):
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, METRICS_FILE), "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
            f.write("\n")

    # Last lines: SageMaker metric definitions (and tuning jobs) take the last value logged,
    # which is the score of the round the model predicts with.
    log(f"best_iteration: {best_iteration}")
    for channel in best:
        log(f"{channel}-{metric}: {_format(best[channel][metric])}")
    return metrics


def _seed_code_version():
    """The buildspec writes SEED_CODE_VERSION (the commit) next to the script in sourcedir.tar.gz."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "SEED_CODE_VERSION")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    return None


# ---------------------------------------------------------------------------------------
# Entry point

def resolve_paths(args, environ=None):
    """A flag wins; with --local ROOT everything else sits under ROOT (SM_* ignored);
    otherwise SageMaker's SM_* variables, then /opt/ml."""
    environ = os.environ if environ is None else environ
    root = args.local or "/opt/ml"

    def pick(flag, variable, relative):
        if flag is not None:
            return flag
        if not args.local and environ.get(variable):
            return environ[variable]
        return os.path.join(root, relative)

    return {
        "train": pick(args.train, "SM_CHANNEL_TRAIN", "input/data/train"),
        "validation": pick(args.validation, "SM_CHANNEL_VALIDATION", "input/data/validation"),
        "test": pick(args.test, "SM_CHANNEL_TEST", "input/data/test"),
        "encoding": pick(args.encoding, "SM_CHANNEL_ENCODING", "input/data/encoding"),
        "hyperparameters": args.hyperparameters or os.path.join(pick(None, "SM_INPUT_CONFIG_DIR", "input/config"), "hyperparameters.json"),
        "model_dir": pick(args.model_dir, "SM_MODEL_DIR", "model"),
        "output_dir": pick(args.output_dir, "SM_OUTPUT_DIR", "output"),
        "output_data_dir": pick(args.output_data_dir, "SM_OUTPUT_DATA_DIR", "output/data"),
        "checkpoints": pick(args.checkpoint_dir, "LUMINAOPS_CHECKPOINT_DIR", "checkpoints"),
    }


def build_parser():
    parser = argparse.ArgumentParser(description="Train an XGBoost model on SageMaker's channels (see README.md).")
    parser.add_argument("--local", metavar="ROOT", help="use ROOT in place of /opt/ml and ignore SM_* variables")
    for flag in ("train", "validation", "test", "encoding", "model-dir", "output-dir", "output-data-dir", "checkpoint-dir"):
        parser.add_argument(f"--{flag}", metavar="DIR")
    parser.add_argument("--hyperparameters", metavar="FILE", help="hyperparameters.json to read")
    return parser


def write_failure(output_dir, message):
    try:
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "failure"), "w", encoding="utf-8") as f:
            f.write(message[:FAILURE_REASON_LIMIT])
    except OSError as error:
        print(f"could not write the failure file in {output_dir}: {error}", file=sys.stderr)


def main(argv=None):
    # Script mode also passes every hyperparameter as --name value: ignore what we do not know,
    # hyperparameters.json is the source of truth.
    args, _ = build_parser().parse_known_args(argv)
    paths = resolve_paths(args)
    started = time.time()
    try:
        train(paths)
    except TrainingError as error:
        print(f"training failed: {error}", file=sys.stderr)
        write_failure(paths["output_dir"], str(error))
        return 1
    except Exception as error:  # noqa: BLE001 - any failure must reach SageMaker's failure file
        traceback.print_exc()
        write_failure(paths["output_dir"], f"unexpected error: {type(error).__name__}: {error}")
        return 2
    print(f"training finished in {time.time() - started:.1f} s; model in {paths['model_dir']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
