#!/usr/bin/env python3
"""Train the `heart-disease-risk` demo bundle (logistic regression, UCI Heart Disease).

Data: UCI Heart Disease, 4 sites (Cleveland, Hungary, Switzerland, VA Long Beach),
920 rows, 13 clinical features + target (1 = angiographic heart disease,
i.e. num > 0). CC BY 4.0. Janosi, A., Steinbrunn, W., Pfisterer, M., Detrano, R.
Heart Disease. UCI Machine Learning Repository (1989). doi:10.24432/C52P4X.

Protocol:
  * features are the 13 columns of the CSV header, in header order;
  * empty cells are missing; chol == 0 and trestbps == 0 are physiologically
    impossible placeholders for "not measured" (172 chol zeros, mostly the
    Switzerland and VA sites) and are treated as missing too;
  * stratified (by target x site) 70/15/15 train/val/test split, fixed seed;
  * median imputation and standard scaling fitted on TRAIN only;
  * L2 logistic regression fitted on TRAIN; C chosen from a fixed grid by
    validation log loss; evaluated once on the held-out TEST split;
  * imputation (Where(IsNaN(x), median, x)), scaling (Sub/Div) and the linear
    model (MatMul, Add, Sigmoid) are baked into an ONNX graph built with
    onnx.helper, so the graph takes raw clinical values with NaN for missing.

Writes <out>/model.onnx and <out>/bundle.json (sha256, test metrics and the
linear model parameters for exact per-feature contributions).

Usage:
  /usr/bin/python3 recipes/train_heart_disease.py \
      --data /path/to/uci_heart_disease_4sites_920rows.csv --out models/heart-disease-risk/1
"""
import argparse
import csv
import datetime
import json
import os
import sys
import time

import numpy as np
import onnx
from recipe_common import (as_f32, decile_histogram, logistic_regression_onnx, r4, sha256_file, translations,
                           write_bundle)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

NAME = "heart-disease-risk"
RECIPE = "recipes/train_heart_disease.py"
FEATURES = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
            "thalach", "exang", "oldpeak", "slope", "ca", "thal"]
ZERO_MEANS_MISSING = ("trestbps", "chol")
C_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0]

# Feature declarations for bundle.json (UCUM units, FHIR sources, labels; codes as in heart-disease.names),
# kept in one JSON file beside this script so that the server's FHIR mapping and the recipe agree.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "heart_disease_features.json"), encoding="utf-8") as _f:
    FEATURE_FILE = json.load(_f)
FEATURE_SPEC = FEATURE_FILE["features"]
assert [f["name"] for f in FEATURE_SPEC] == FEATURES


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0].keys())
    assert header[:13] == FEATURES and header[13] == "target", header
    x = np.array([[float(r[c]) if r[c].strip() not in ("", "?") else np.nan for c in FEATURES]
                  for r in rows], dtype=np.float64)
    y = np.array([int(r["target"]) for r in rows], dtype=np.int64)
    site = np.array([r.get("source", "") for r in rows])
    for c in ZERO_MEANS_MISSING:
        j = FEATURES.index(c)
        x[x[:, j] == 0, j] = np.nan
    return x, y, site


def binary_metrics(y, p):
    pred = (p >= 0.5).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return {"accuracy": (tp + tn) / len(y), "roc_auc": float(roc_auc_score(y, p)),
            "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp)}, \
        {"tp": tp, "tn": tn, "fp": fp, "fn": fn}


def build_onnx(medians, means, scales, coef, intercept):
    return logistic_regression_onnx(
        "heart_disease_risk_logreg",
        "P(heart disease) from 13 raw UCI Heart Disease features (header order); "
        "NaN = missing, imputed in-graph with train medians.",
        means, scales, coef, intercept, medians=medians)


def graph_forward_numpy(x, medians, means, scales, coef, intercept):
    """float32 re-implementation of the ONNX graph, for self-checking."""
    x = x.astype(np.float32)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    z = (np.where(np.isnan(x), f32(medians), x) - f32(means)) / f32(scales)
    logit = z @ f32(coef).reshape(-1, 1) + np.float32(intercept)
    return 1.0 / (1.0 + np.exp(-logit))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="path to uci_heart_disease_4sites_920rows.csv")
    ap.add_argument("--out", required=True, help="bundle version folder, e.g. models/heart-disease-risk/1")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--created", default=datetime.date.today().isoformat(),
                    help="provenance.created date (YYYY-MM-DD), default today")
    ap.add_argument("--parity-out", default=None,
                    help="optional: write a JSON fixture (sample raw inputs incl. NaN + expected "
                         "probabilities) for checking the ONNX graph with another runtime")
    args = ap.parse_args()
    t0 = time.time()

    x, y, site = load(args.data)
    strata = np.array([f"{s}:{t}" for s, t in zip(site, y)])
    idx = np.arange(len(y))
    i_tr, i_rest = train_test_split(idx, test_size=0.30, stratify=strata, random_state=args.seed)
    i_va, i_te = train_test_split(i_rest, test_size=0.50, stratify=strata[i_rest], random_state=args.seed)
    x_tr, y_tr, x_va, y_va, x_te, y_te = x[i_tr], y[i_tr], x[i_va], y[i_va], x[i_te], y[i_te]
    print(f"split train {len(i_tr)} val {len(i_va)} test {len(i_te)}; "
          f"positives {y_tr.sum()}/{y_va.sum()}/{y_te.sum()}", flush=True)
    print("missing fraction (all rows):",
          {c: round(float(np.isnan(x[:, j]).mean()), 3) for j, c in enumerate(FEATURES)}, flush=True)

    # Preprocessing fitted on train only.
    medians = np.nanmedian(x_tr, axis=0)
    impute = lambda a: np.where(np.isnan(a), medians, a)
    xi_tr = impute(x_tr)
    means = xi_tr.mean(axis=0)
    scales = xi_tr.std(axis=0)
    scales[scales == 0] = 1.0
    prep = lambda a: (impute(a) - means) / scales

    # Regularisation strength selected on val log loss; model fitted on train.
    results = []
    for c in C_GRID:
        clf = LogisticRegression(C=c, penalty="l2", solver="lbfgs", max_iter=10000)
        clf.fit(prep(x_tr), y_tr)
        pv = clf.predict_proba(prep(x_va))[:, 1]
        results.append((log_loss(y_va, pv), -roc_auc_score(y_va, pv), c))
        print(f"C={c:<7} val_log_loss {results[-1][0]:.4f} val_auc {-results[-1][1]:.4f}", flush=True)
    best_c = min(results)[2]
    clf = LogisticRegression(C=best_c, penalty="l2", solver="lbfgs", max_iter=10000)
    clf.fit(prep(x_tr), y_tr)
    coef, intercept = clf.coef_.ravel(), float(clf.intercept_[0])

    val_m, _ = binary_metrics(y_va, clf.predict_proba(prep(x_va))[:, 1])
    p_te = clf.predict_proba(prep(x_te))[:, 1]
    test_m, confusion = binary_metrics(y_te, p_te)
    print(f"selected C={best_c}; val {val_m}; test {test_m} {confusion}", flush=True)

    # ONNX export (float32 parameters).
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    model = build_onnx(medians, means, scales, coef, intercept)
    onnx.save(model, onnx_path)
    p_graph = graph_forward_numpy(x_te, medians, means, scales, coef, intercept).ravel()
    max_diff = float(np.abs(p_graph - p_te).max())
    print(f"float32 graph vs sklearn max |dp| on test: {max_diff:.2e}", flush=True)
    assert max_diff < 1e-5, max_diff

    # Drift reference: per-feature histograms of the training split as the model receives it (raw, with
    # NaN for missing) and of the model's output on it (decile_histogram). The server compares live
    # traffic against these (population stability index) without keeping any input.
    p_tr = clf.predict_proba(prep(x_tr))[:, 1]
    monitoring = {"drift_reference": {
        "source": f"training split (n={len(y_tr)})",
        "features": {c: decile_histogram(x_tr[:, j]) for j, c in enumerate(FEATURES)},
        "output": decile_histogram(p_tr),
    }}
    n_pos = lambda a: int(a.sum())
    bundle = {
        "schema_version": 1,
        "name": NAME,
        "version": os.path.basename(os.path.normpath(args.out)),
        "description": "Logistic regression estimating the probability of angiographic coronary heart disease "
                       "from 13 routine clinical features (demo model trained on the UCI Heart Disease data).",
        "task": "classification",
        "model": {"file": "model.onnx", "sha256": sha256_file(onnx_path)},
        "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1, len(FEATURES)]}],
        "outputs": [{"name": "probability", "datatype": "FP32", "shape": [-1, 1]}],
        "max_batch_size": 256,
        "labels": [
            {"id": "no_disease", "text": {"en": "No heart disease", "fr": "Pas de maladie cardiaque",
                                          "de": "Keine Herzerkrankung"}},
            {"id": "disease", "text": {"en": "Heart disease", "fr": "Maladie cardiaque",
                                       "de": "Herzerkrankung"}},
        ],
        "preprocessing": {"kind": "tabular", "input": "features", "features": FEATURE_SPEC,
                          "least_observed": FEATURE_FILE["least_observed"]},
        "postprocessing": {
            "kind": "sigmoid_probability",
            "output": "probability",
            "outcome": FEATURE_FILE["outcome"],
            "threshold": FEATURE_FILE["threshold"],
            "linear_model": {
                "intercept": as_f32(intercept),
                "coefficients": {c: as_f32(v) for c, v in zip(FEATURES, coef)},
                "means": {c: as_f32(v) for c, v in zip(FEATURES, means)},
                "scales": {c: as_f32(v) for c, v in zip(FEATURES, scales)},
                "medians": {c: as_f32(v) for c, v in zip(FEATURES, medians)},
            },
        },
        "intended_use": (
            "Demonstration and research use only: this is NOT a medical device, has not been clinically "
            "validated and must not be used for diagnosis, triage or treatment decisions. It outputs the "
            "probability that a patient referred for coronary angiography has > 50% diameter narrowing in a "
            f"major vessel, learned from {len(y)} adults ({100 * np.mean(x[:, 1] == 1):.0f}% male, aged "
            f"{np.nanmin(x[:, 0]):.0f}-{np.nanmax(x[:, 0]):.0f}) referred for angiography in the 1980s at the "
            "Cleveland Clinic, the Hungarian Institute of Cardiology (Budapest), University Hospitals Zurich "
            "and Basel, and the VA Medical Center Long Beach. Disease prevalence in this referral cohort is "
            f"{100 * y.mean():.0f}% (and differs strongly between sites), so probabilities do not transfer "
            "to screening or general populations. Coded inputs (cp, restecg, slope, ca, thal) enter the linear model as raw numeric "
            "codes. Missing values (send NaN) are replaced by training medians; ca and thal are missing for "
            "most non-Cleveland patients, and chol and trestbps equal to 0 in the source data were treated "
            "as missing, so 0 is not a valid value for them. Performance comes from a single held-out split "
            f"of {len(y_te)} patients from the same four sites."),
        "regulatory_status": "Not a medical device: research and demonstration use only, not for diagnostic use",
        "i18n": translations(NAME, n=len(y), male_pct=f"{100 * np.mean(x[:, 1] == 1):.0f}",
                             age_min=f"{np.nanmin(x[:, 0]):.0f}", age_max=f"{np.nanmax(x[:, 0]):.0f}",
                             prevalence_pct=f"{100 * y.mean():.0f}", n_test=len(y_te)),
        "provenance": {
            "training_data": {
                "name": "UCI Heart Disease (Cleveland, Hungarian, Switzerland, VA Long Beach; 920 rows)",
                "citation": "Janosi, A., Steinbrunn, W., Pfisterer, M., Detrano, R. Heart Disease. "
                            "UCI Machine Learning Repository (1989). https://doi.org/10.24432/C52P4X",
                "licence": "CC BY 4.0",
                "url": "https://archive.ics.uci.edu/dataset/45/heart+disease",
            },
            "split": (f"Stratified (target x site) random 70/15/15 split with seed {args.seed}: train "
                      f"n={len(y_tr)} ({n_pos(y_tr)} disease), val n={len(y_va)} ({n_pos(y_va)}), test "
                      f"n={len(y_te)} ({n_pos(y_te)}). Median imputation and standard scaling fitted on "
                      f"train; L2 logistic regression fitted on train with C={best_c} chosen by validation "
                      f"log loss; evaluated once on test. Decision threshold for accuracy, sensitivity and "
                      f"specificity: probability >= 0.5."),
            "evaluation": {
                "split": "test",
                "n": int(len(y_te)),
                "metrics": {k: r4(test_m[k]) for k in ("accuracy", "roc_auc", "sensitivity", "specificity")},
                # Read by `clinfer validate`: the threshold the metrics above were taken at, and how far below
                # them a site's figures may fall and still count as "performs as declared" (docs/validation.md).
                "operating_point": {"threshold": 0.5},
                "tolerance": {"roc_auc": 0.05, "accuracy": 0.1, "sensitivity": 0.1, "specificity": 0.1},
            },
            "licence": "Apache-2.0 (model weights); data CC BY 4.0",
            "recipe": RECIPE,
            "created": args.created,
        },
        "cds_hooks": FEATURE_FILE["cds_hooks"],
        "monitoring": monitoring,
        "execution": {"providers": ["cpu"], "intra_op_threads": 1},
    }
    write_bundle(args.out, bundle)

    if args.parity_out:
        # First 4 test rows as-is (with their real NaNs) plus one all-missing row.
        xs = np.vstack([x_te[:4], np.full((1, len(FEATURES)), np.nan)]).astype(np.float32)
        exp = graph_forward_numpy(xs, medians, means, scales, coef, intercept).ravel()
        sk = clf.predict_proba(prep(xs.astype(np.float64)))[:, 1]
        with open(args.parity_out, "w") as f:
            json.dump({"input": "features", "output": "probability", "shape": list(xs.shape),
                       "data": [None if np.isnan(v) else float(v) for v in xs.ravel()],
                       "expected": exp.tolist(), "expected_sklearn": sk.tolist()}, f)

    print(json.dumps({"onnx_bytes": os.path.getsize(onnx_path), "sha256": bundle["model"]["sha256"],
                      "C": best_c, "val": val_m, "test": test_m, "confusion": confusion,
                      "coefficients": dict(zip(FEATURES, np.round(coef, 4).tolist())),
                      "intercept": round(intercept, 4),
                      "seconds": round(time.time() - t0, 2)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
