"""train.py on small seeded data sets in temporary SageMaker-shaped folders."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import xgboost as xgb

import train

TRAIN_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "train.py")
FEATURES = ["age", "bmi", "glucose", "smoker"]
# The metric definition regexes README.md documents for SageMaker.
NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
VALIDATION_AUC = re.compile(r"validation-auc: " + NUMBER)
TRAIN_AUC = re.compile(r"train-auc: " + NUMBER)


def synthetic_rows(rng, n, objective):
    """Encoded features (3 decimals, some missing) and a label that depends on them."""
    x = np.column_stack([
        rng.normal(55, 12, n), rng.normal(27, 4, n), rng.normal(100, 20, n), rng.integers(0, 2, n),
    ]).round(3)
    signal = 0.06 * (x[:, 0] - 55) + 0.15 * (x[:, 1] - 27) + 0.04 * (x[:, 2] - 100) + 1.2 * x[:, 3] - 0.6
    if objective == "binary:logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(int)
    else:
        y = (signal + rng.normal(0, 0.3, n)).round(4)
    x[rng.random(n) < 0.1, 1] = np.nan
    return x, y


def write_csv(path, x, y, header=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(header or ["label", *FEATURES]) + "\n")
        for label, row in zip(y, x):
            f.write(",".join([str(label)] + ["" if np.isnan(v) else repr(float(v)) for v in row]) + "\n")


ENCODING = {
    "encodings": [{"kind": "numeric", "column": name} for name in FEATURES[:3]] + [{"kind": "boolean", "column": "smoker"}],
    "features": [{"name": name, "column": name, "type": "float"} for name in FEATURES[:3]]
    + [{"name": "smoker", "column": "smoker", "type": "boolean"}],
}


def make_job(root, hyperparameters, objective="binary:logistic", seed=1, n_train=300, n_valid=120, n_test=0):
    rng = np.random.default_rng(seed)
    data = os.path.join(root, "input", "data")
    for channel, n in (("train", n_train), ("validation", n_valid), ("test", n_test)):
        if n:
            x, y = synthetic_rows(rng, n, objective)
            write_csv(os.path.join(data, channel, "data.csv"), x, y)
    os.makedirs(os.path.join(data, "encoding"))
    with open(os.path.join(data, "encoding", "encoding.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(ENCODING, indent=1) + "\n")
    os.makedirs(os.path.join(root, "input", "config"))
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as f:
        json.dump({"objective": objective, **hyperparameters}, f)
    return str(root)


def run(root, capsys=None):
    code = train.main(["--local", root])
    out = capsys.readouterr().out if capsys else ""
    return code, out


def read_json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return json.load(f)


def failure(root):
    with open(os.path.join(root, "output", "failure"), encoding="utf-8") as f:
        return f.read()


def predictions(model_path, root, channel="validation"):
    booster = xgb.Booster(model_file=model_path)
    header, x, _ = train.read_channel_csv(channel, os.path.join(root, "input", "data", channel), "binary:logistic")
    best = int(booster.attr("best_iteration"))
    return booster.predict(xgb.DMatrix(x, missing=np.nan, feature_names=header[1:]), iteration_range=(0, best + 1))


def auc(labels, scores):
    """Mann-Whitney AUC with tied scores counted half."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = labels == 1
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return (ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


# ---------------------------------------------------------------------------------------
# Outputs


def test_binary_job_writes_model_metrics_and_encoding(tmp_path, capsys):
    # Prepare
    root = make_job(tmp_path, {"num_round": "15", "max_depth": "3", "eta": "0.3", "seed": "7"}, n_train=500, n_test=150)

    # Act
    code, out = run(root, capsys)

    # Assess
    assert code == 0
    model_dir = os.path.join(root, "model")
    assert sorted(os.listdir(model_dir)) == ["encoding.json", "metrics.json", "xgboost-model.json"]
    with open(os.path.join(root, "input", "data", "encoding", "encoding.json"), "rb") as a, open(os.path.join(model_dir, "encoding.json"), "rb") as b:
        assert a.read() == b.read()
    document = read_json(model_dir, "xgboost-model.json")
    learner = document["learner"]
    assert learner["objective"]["name"] == "binary:logistic"
    assert learner["feature_names"] == FEATURES
    assert len(learner["gradient_booster"]["model"]["trees"]) == 15
    assert learner["attributes"]["best_iteration"] == "14"
    assert json.loads(learner["attributes"]["luminaops.features"]) == ENCODING["features"]
    assert json.loads(learner["attributes"]["luminaops.encodings"]) == ENCODING["encodings"]

    metrics = read_json(model_dir, "metrics.json")
    assert metrics["best_iteration"] == 14 and metrics["rounds"] == 15
    assert len(metrics["history"]["train"]["auc"]) == 15 and len(metrics["history"]["validation"]["auc"]) == 15
    assert metrics["validation"]["auc"] == metrics["history"]["validation"]["auc"][14] == metrics["best_score"]
    assert metrics["history"]["train"]["auc"][14] > metrics["history"]["train"]["auc"][0]
    assert metrics["device"] == "cpu" and metrics["resumed_from_round"] is None
    assert read_json(root, "output", "data", "metrics.json") == metrics

    # The validation AUC XGBoost reported is the AUC of the saved model's predictions.
    _, _, y_valid = train.read_channel_csv("validation", os.path.join(root, "input", "data", "validation"), "binary:logistic")
    p_valid = predictions(os.path.join(model_dir, "xgboost-model.json"), root)
    assert auc(y_valid, p_valid) == pytest.approx(metrics["validation"]["auc"], abs=1e-6)
    _, _, y_test = train.read_channel_csv("test", os.path.join(root, "input", "data", "test"), "binary:logistic")
    p_test = predictions(os.path.join(model_dir, "xgboost-model.json"), root, "test")
    assert auc(y_test, p_test) == pytest.approx(metrics["test"]["auc"], abs=1e-6)
    assert 0.65 < metrics["test"]["auc"] < 1

    # One log line per round, and the last match of each metric regex is the final score.
    per_round = [line for line in out.splitlines() if re.match(r"^\[\d+\] ", line)]
    assert len(per_round) == 15
    assert float(VALIDATION_AUC.findall(out)[-1]) == pytest.approx(metrics["validation"]["auc"], abs=1e-6)
    assert float(TRAIN_AUC.findall(out)[-1]) == pytest.approx(metrics["train"]["auc"], abs=1e-6)
    assert not os.path.exists(os.path.join(root, "output", "failure"))


def test_regression_job_reports_rmse_that_falls(tmp_path, capsys):
    # Prepare
    root = make_job(tmp_path, {"num_round": "20", "max_depth": "3", "eta": "0.3"}, objective="reg:squarederror")

    # Act
    code, out = run(root, capsys)

    # Assess
    assert code == 0
    metrics = read_json(root, "model", "metrics.json")
    assert metrics["eval_metric"] == "rmse" and metrics["higher_is_better"] is False
    rmse = metrics["history"]["validation"]["rmse"]
    assert len(rmse) == 20 and rmse[-1] < rmse[0] / 2
    assert "validation-rmse: " in out
    booster = xgb.Booster(model_file=os.path.join(root, "model", "xgboost-model.json"))
    assert json.loads(booster.save_config())["learner"]["objective"]["name"] == "reg:squarederror"


def test_early_stopping_keeps_all_rounds_and_marks_the_best(tmp_path, capsys):
    # Prepare: deep trees and a large step overfit quickly
    root = make_job(tmp_path, {"num_round": "300", "max_depth": "8", "eta": "0.8", "min_child_weight": "0",
                               "early_stopping_rounds": "5", "eval_metric": "logloss"}, n_train=200, n_valid=200)

    # Act
    code, out = run(root, capsys)

    # Assess
    assert code == 0
    metrics = read_json(root, "model", "metrics.json")
    best, rounds = metrics["best_iteration"], metrics["rounds"]
    assert metrics["stopped_early"] is True
    assert rounds == best + 6 < 300
    losses = metrics["history"]["validation"]["logloss"]
    assert losses[best] == min(losses) == metrics["best_score"]
    document = read_json(root, "model", "xgboost-model.json")
    assert len(document["learner"]["gradient_booster"]["model"]["trees"]) == rounds
    assert document["learner"]["attributes"]["best_iteration"] == str(best)
    assert f"early stopping: no better validation-logloss for 5 rounds after round {best}" in out


def test_sagemaker_extras_and_json_encoded_values_are_accepted(tmp_path, capsys):
    # Prepare: what the SageMaker SDK and a tuning job add to hyperparameters.json
    root = make_job(tmp_path, {"num_round": "3", "sagemaker_program": '"train.py"',
                               "sagemaker_submit_directory": '"s3://bucket/sourcedir.tar.gz"',
                               "_tuning_objective_metric": "validation:auc", "eta": '"0.5"'})
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), encoding="utf-8") as f:
        raw = json.load(f)
    raw["objective"] = '"binary:logistic"'
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as f:
        json.dump(raw, f)

    # Act
    code, _ = run(root, capsys)

    # Assess
    assert code == 0
    assert read_json(root, "model", "metrics.json")["rounds"] == 3


# ---------------------------------------------------------------------------------------
# Hyperparameter validation


@pytest.mark.parametrize("raw, message", [
    ({"max_depth": "six"}, "hyperparameter max_depth: must be an integer, got 'six'"),
    ({"max_depth": "0"}, "hyperparameter max_depth: must be from 1 to 30, got '0'"),
    ({"num_round": "2.5"}, "hyperparameter num_round: must be an integer, got '2.5'"),
    ({"eta": "0"}, "hyperparameter eta: must be > 0 and <= 1, got '0'"),
    ({"eta": "fast"}, "hyperparameter eta: must be a number, got 'fast'"),
    ({"subsample": "1.5"}, "hyperparameter subsample: must be > 0 and <= 1, got '1.5'"),
    ({"lambda": "-1"}, "hyperparameter lambda: must be >= 0, got '-1'"),
    ({"alpha": "nan"}, "hyperparameter alpha: must be a finite number, got 'nan'"),
    ({"max_bin": "1"}, "hyperparameter max_bin: must be from 2 to 65535, got '1'"),
    ({"scale_pos_weight": "0"}, "hyperparameter scale_pos_weight: must be > 0, got '0'"),
    ({"objective": "multi:softmax"}, "hyperparameter objective: must be one of binary:logistic, reg:squarederror, got 'multi:softmax'"),
    ({"eval_metric": "rmse"}, "hyperparameter eval_metric: must be one of auc, aucpr, logloss, error for binary:logistic, got 'rmse'"),
    ({"objective": "reg:squarederror", "scale_pos_weight": "3"},
     "hyperparameter scale_pos_weight: only applies to binary:logistic, got '3' with reg:squarederror"),
    ({"max-depth": "6"}, "hyperparameter max-depth: unknown (known: objective, eval_metric, num_round, max_depth"),
    ({"num_round": True}, "hyperparameter num_round: must be a string, got true"),
])
def test_bad_hyperparameters_are_named_with_their_value(raw, message):
    with pytest.raises(train.TrainingError) as caught:
        train.parse_hyperparameters(raw)
    assert str(caught.value).startswith(message)


def test_defaults_fill_what_is_not_given():
    params = train.parse_hyperparameters({"objective": "reg:squarederror", "num_round": "10"})
    assert params == {"objective": "reg:squarederror", "num_round": 10, "max_depth": 6, "eta": 0.3, "lambda": 1.0,
                      "alpha": 0.0, "min_child_weight": 1.0, "subsample": 1.0, "colsample_bytree": 1.0, "max_bin": 256,
                      "early_stopping_rounds": 0, "seed": 0, "scale_pos_weight": 1.0, "eval_metric": "rmse"}


def test_a_bad_hyperparameter_fails_the_process_with_sagemakers_failure_file(tmp_path):
    # Prepare
    root = make_job(tmp_path, {"num_round": "3", "colsample_bytree": "0"})

    # Act: the script as SageMaker runs it, in its own process
    result = subprocess.run([sys.executable, TRAIN_SCRIPT, "--local", root], capture_output=True, text=True,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, check=False)

    # Assess
    assert result.returncode == 1
    assert failure(root) == "hyperparameter colsample_bytree: must be > 0 and <= 1, got '0'"
    assert "training failed: hyperparameter colsample_bytree" in result.stderr
    assert not os.path.exists(os.path.join(root, "model", "xgboost-model.json"))


# ---------------------------------------------------------------------------------------
# Data errors


def rewrite(root, channel, text):
    with open(os.path.join(root, "input", "data", channel, "data.csv"), "w", encoding="utf-8") as f:
        f.write(text)


@pytest.mark.parametrize("channel, text, message", [
    ("train", "target,age\n1,2\n", "channel train: data.csv header must start with 'label' followed by the features, got 'target,age'"),
    ("train", "label,age,bmi,glucose,smoker\n1,50,,90,0\n2,50,25,90,1\n",
     "channel train: data.csv line 3: column label must be 0 or 1 for binary:logistic, got 2"),
    ("train", "label,age,bmi,glucose,smoker\n1,50,abc,90,0\n", "channel train: data.csv line 2, column 'bmi': 'abc' is not a number"),
    ("train", "label,age,bmi,glucose,smoker\n1,50,inf,90,0\n",
     "channel train: data.csv line 2, column 'bmi': 'inf' is not finite (leave the cell empty for a missing value)"),
    ("train", "label,age,bmi,glucose,smoker\n1,50,25\n", "channel train: data.csv line 2: has 3 cells, the header has 5"),
    ("train", "label,age,bmi,glucose,smoker\n,50,25,90,0\n", "channel train: data.csv line 2: column label is empty (every row needs a label)"),
    ("train", "label,age,bmi,glucose,smoker\n", "channel train: data.csv has a header but no rows"),
    ("train", "label,age,age,glucose,smoker\n1,1,1,1,1\n", "channel train: data.csv header column 3 ('age') is a duplicate"),
    ("validation", "label,age,glucose,bmi,smoker\n1,50,90,25,0\n",
     "channel validation: data.csv header column 3 is 'glucose' but the train channel has 'bmi'"),
    ("validation", "label,age,bmi,glucose,smoker\n1,50,25,90,0\n1,51,26,91,1\n",
     "channel validation: label has only class 1; auc needs rows of both classes"),
])
def test_bad_data_fails_naming_channel_line_and_column(tmp_path, capsys, channel, text, message):
    # Prepare
    root = make_job(tmp_path, {"num_round": "3"})
    rewrite(root, channel, text)

    # Act
    code, _ = run(root, capsys)

    # Assess
    assert code == 1
    assert failure(root) == message


def test_missing_channel_and_encoding_are_named(tmp_path, capsys):
    root = make_job(tmp_path, {"num_round": "3"})
    os.remove(os.path.join(root, "input", "data", "encoding", "encoding.json"))
    assert run(root, capsys)[0] == 1
    assert failure(root).startswith("channel encoding: ") and failure(root).endswith("encoding.json not found (the tabular encoding the features were made with)")

    os.remove(os.path.join(root, "input", "data", "validation", "data.csv"))
    assert run(root, capsys)[0] == 1
    assert failure(root).startswith("channel validation: ") and "data.csv not found" in failure(root)


def test_an_encoding_for_other_features_is_refused(tmp_path, capsys):
    root = make_job(tmp_path, {"num_round": "3"})
    other = {**ENCODING, "features": ENCODING["features"][:3]}
    with open(os.path.join(root, "input", "data", "encoding", "encoding.json"), "w", encoding="utf-8") as f:
        json.dump(other, f)
    assert run(root, capsys)[0] == 1
    assert failure(root) == ("channel encoding: encoding.json features ['age', 'bmi', 'glucose'] are not the train "
                             "channel's feature columns ['age', 'bmi', 'glucose', 'smoker']")


# ---------------------------------------------------------------------------------------
# Checkpoints (managed spot training)


def test_a_resumed_job_continues_from_the_latest_checkpoint_and_matches_an_uninterrupted_one(tmp_path, capsys):
    # Prepare: no row or column sampling (with sampling a resumed run is a valid continuation,
    # but XGBoost's hist sampler does not restart its random stream where it stopped)
    hyperparameters = {"num_round": "12", "max_depth": "4", "seed": "3"}
    whole = make_job(tmp_path / "whole", hyperparameters)
    resumed = make_job(tmp_path / "resumed", {**hyperparameters, "num_round": "5"})
    os.makedirs(os.path.join(resumed, "checkpoints"))
    assert run(whole, capsys)[0] == 0
    assert run(resumed, capsys)[0] == 0  # the "interrupted" job: 5 rounds, checkpointed
    assert sorted(os.listdir(os.path.join(resumed, "checkpoints"))) == [
        "xgboost-checkpoint-4.json", "xgboost-checkpoint-4.state.json", "xgboost-checkpoint-5.json", "xgboost-checkpoint-5.state.json"]
    with open(os.path.join(resumed, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as f:
        json.dump({"objective": "binary:logistic", **hyperparameters}, f)

    # Act: the restarted job, same checkpoint folder
    code, out = run(resumed, capsys)

    # Assess
    assert code == 0
    assert "resuming from checkpoint" in out and "after 5 rounds" in out
    assert len([line for line in out.splitlines() if re.match(r"^\[\d+\] ", line)]) == 7
    metrics = read_json(resumed, "model", "metrics.json")
    reference = read_json(whole, "model", "metrics.json")
    assert metrics["resumed_from_round"] == 5 and metrics["rounds"] == 12
    assert metrics["history"] == reference["history"]
    p_resumed = predictions(os.path.join(resumed, "model", "xgboost-model.json"), resumed)
    p_whole = predictions(os.path.join(whole, "model", "xgboost-model.json"), whole)
    np.testing.assert_array_equal(p_resumed, p_whole)
    trees = read_json(resumed, "model", "xgboost-model.json")["learner"]["gradient_booster"]["model"]["trees"]
    assert trees == read_json(whole, "model", "xgboost-model.json")["learner"]["gradient_booster"]["model"]["trees"]


def test_a_checkpoint_cut_off_while_writing_is_passed_over(tmp_path, capsys):
    # Prepare: the newest state file is truncated, as after an interruption mid-write
    root = make_job(tmp_path, {"num_round": "6"})
    checkpoints = os.path.join(root, "checkpoints")
    os.makedirs(checkpoints)
    assert run(root, capsys)[0] == 0
    with open(os.path.join(checkpoints, "xgboost-checkpoint-6.state.json"), "w", encoding="utf-8") as f:
        f.write('{"rounds": 6, "hist')

    # Act
    code, out = run(root, capsys)

    # Assess
    assert code == 0
    assert "after 5 rounds" in out
    assert read_json(root, "model", "metrics.json")["rounds"] == 6


def test_a_checkpoint_with_more_rounds_than_asked_is_refused(tmp_path, capsys):
    root = make_job(tmp_path, {"num_round": "6"})
    os.makedirs(os.path.join(root, "checkpoints"))
    assert run(root, capsys)[0] == 0
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as f:
        json.dump({"num_round": "4"}, f)
    assert run(root, capsys)[0] == 1
    assert failure(root).endswith("xgboost-checkpoint-6.json: holds 6 rounds but hyperparameter num_round is 4")


# ---------------------------------------------------------------------------------------
# Device and paths


def test_device_parameters_follow_the_xgboost_version():
    assert train.device_params(True, "1.7.4") == {"tree_method": "gpu_hist"}
    assert train.device_params(False, "1.7.4") == {"tree_method": "hist"}
    assert train.device_params(True, "2.1.3") == {"tree_method": "hist", "device": "cuda"}
    assert train.device_params(False, "3.0.0") == {"tree_method": "hist", "device": "cpu"}


def test_gpu_detection_uses_sm_num_gpus_then_nvidia_smi(tmp_path):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'GPU 0: Tesla T4 (UUID: GPU-0f1e)'\n")
    fake.chmod(0o755)
    broken = tmp_path / "nvidia-smi-broken"
    broken.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    broken.chmod(0o755)

    assert train.gpu_available({"SM_NUM_GPUS": "1"}, nvidia_smi=str(broken)) is True
    assert train.gpu_available({"SM_NUM_GPUS": "0"}, nvidia_smi=str(fake)) is False
    assert train.gpu_available({}, nvidia_smi=str(fake)) is True
    assert train.gpu_available({}, nvidia_smi=str(broken)) is False
    with pytest.raises(train.TrainingError, match="environment SM_NUM_GPUS: must be an integer, got 'one'"):
        train.gpu_available({"SM_NUM_GPUS": "one"})


def test_a_gpu_without_a_cuda_build_is_refused_rather_than_trained_on_cpu(monkeypatch):
    monkeypatch.setattr(xgb, "build_info", lambda: {"USE_CUDA": False})
    with pytest.raises(train.TrainingError, match="a GPU is present but XGBoost .* was built without CUDA"):
        train.choose_device({"SM_NUM_GPUS": "1"})
    assert train.choose_device({"SM_NUM_GPUS": "1", "LUMINAOPS_DEVICE": "cpu"}) is False
    monkeypatch.setattr(xgb, "build_info", lambda: {"USE_CUDA": True})
    assert train.choose_device({"SM_NUM_GPUS": "1"}) is True
    with pytest.raises(train.TrainingError, match="environment LUMINAOPS_DEVICE: must be auto, cpu or cuda, got 'gpu'"):
        train.choose_device({"LUMINAOPS_DEVICE": "gpu"})


def test_paths_come_from_flags_then_local_root_or_sagemaker_variables():
    parser = train.build_parser()
    environ = {"SM_CHANNEL_TRAIN": "/sm/train", "SM_MODEL_DIR": "/sm/model", "SM_OUTPUT_DATA_DIR": "/sm/out"}

    sagemaker = train.resolve_paths(parser.parse_args([]), environ)
    assert sagemaker["train"] == "/sm/train" and sagemaker["model_dir"] == "/sm/model"
    assert sagemaker["validation"] == "/opt/ml/input/data/validation"
    assert sagemaker["hyperparameters"] == "/opt/ml/input/config/hyperparameters.json"
    assert sagemaker["checkpoints"] == "/opt/ml/checkpoints" and sagemaker["output_dir"] == "/opt/ml/output"

    local = train.resolve_paths(parser.parse_args(["--local", "/tmp/job", "--model-dir", "/elsewhere"]), environ)
    assert local["train"] == "/tmp/job/input/data/train" and local["model_dir"] == "/elsewhere"
    assert local["output_data_dir"] == "/tmp/job/output/data"
    # Script mode passes hyperparameters as flags too; they are ignored.
    args, _ = parser.parse_known_args(["--num_round", "100", "--local", "/tmp/job"])
    assert args.local == "/tmp/job"
