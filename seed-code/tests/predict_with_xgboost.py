"""XGBoost's own predictions for a data.csv, for the platform's ONNX comparison test
(test/unit/seed-code/seed-code.test.ts):

    python3 tests/predict_with_xgboost.py MODEL.json DATA.csv OUT.json

Rows are read exactly as train.py reads them (float32, empty cell = missing); the model
predicts with its rounds up to best_iteration, as the LuminaOps model reader keeps them.
OUT.json: {"xgboost_version", "best_iteration", "predictions": [...], "margins": [...]}.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import train  # noqa: E402


def main(model_path, data_path, out_path):
    booster = xgb.Booster(model_file=model_path)
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    header, x, _ = train.read_channel_csv("data", os.path.dirname(os.path.abspath(data_path)), objective)
    if os.path.basename(data_path) != train.DATA_FILE:
        raise SystemExit(f"{data_path}: expected a file named {train.DATA_FILE}")
    best = int(booster.attr("best_iteration"))
    data = xgb.DMatrix(x, missing=np.nan, feature_names=header[1:])
    rounds = (0, best + 1)
    payload = {
        "xgboost_version": xgb.__version__,
        "best_iteration": best,
        # float32 values written as the doubles they are, so they read back exactly.
        "predictions": [float(v) for v in booster.predict(data, iteration_range=rounds)],
        "margins": [float(v) for v in booster.predict(data, iteration_range=rounds, output_margin=True)],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(payload, f)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
