#!/usr/bin/env python3
"""Trains the pbc-risk demo bundle: P(death or liver transplant within 2 years) after a lab visit of a
patient with primary biliary cholangitis, from the history of visits up to that day.

Data: pbcseq (Mayo Clinic PBC trial follow-up, 1,945 lab visits of 312 patients) from the R package
`survival` (LGPL >= 2; Therneau T, A Package for Survival Analysis in R). Pass the CSV with --data.

Writes <out>/model.onnx and <out>/bundle.json, and, with --fixtures, the held-out patients' visits
(visits.csv) and the features and probabilities this script computes for each eligible held-out visit
(expected.csv), which test/integration/pbc-history.test.ts compares with /v1 predict on FHIR Bundles.

Features are computed exactly as clinfer's history features compute them from FHIR (adapters/fhir/
longitudinal): each visit is an Observation dated on its day (the trial's enrolment set on a fixed date,
1980-01-01, for every patient), the reference time is the visit itself, windows include both ends.

Usage: /usr/bin/python3 recipes/train_pbc.py --data pbcseq.csv --out models/pbc-risk/1 --fixtures test/fixtures/pbc
"""
import argparse
import csv
import datetime as dt
import json
import math
import os

import numpy as np
import onnx
from recipe_common import as_f32, logistic_regression_onnx, r4, sha256_file, write_bundle

NAME = "pbc-risk"
HORIZON_DAYS = 730  # label: death or transplant within 2 years (730 days) after the visit
LATEST_WINDOW = 730
SLOPE_WINDOW = 730
COUNT_WINDOW = 365
ENROLMENT = dt.date(1980, 1, 1)
YEAR_DAYS = 365.25
SEED = 20261204
RECIPE = "recipes/train_pbc.py"

L = "http://loinc.org"
S = "http://snomed.info/sct"
EDEMA = "urn:clinfer:pbcseq:edema"

FEATURES = ["age", "sex", "log_bilirubin", "log_bilirubin_slope", "albumin", "albumin_slope",
            "prothrombin_time", "prothrombin_time_slope", "ascites", "edema_treated", "edema_despite_diuretics",
            "bilirubin_tests_last_year"]


def read(path):
    patients = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            num = lambda k: None if r[k] == "NA" else float(r[k])
            p = patients.setdefault(int(r["id"]), {"id": int(r["id"]), "futime": int(r["futime"]), "status": int(r["status"]),
                                                   "age": float(r["age"]), "sex": r["sex"], "visits": []})
            p["visits"].append({"day": int(r["day"]), "bili": num("bili"), "albumin": num("albumin"), "protime": num("protime"),
                                "ascites": num("ascites"), "edema": num("edema")})
    for p in patients.values():
        p["visits"].sort(key=lambda v: v["day"])
        p["birth"] = ENROLMENT - dt.timedelta(days=round(p["age"] * YEAR_DAYS))
    return [patients[k] for k in sorted(patients)]


def age_at(birth, at):
    """Whole years, as clinfer's patient_age (birthday not yet reached: one less)."""
    years = at.year - birth.year
    if (at.month, at.day) < (birth.month, birth.day):
        years -= 1
    return years


def window(p, day, days, key):
    """(day, value) of the non-missing values from day - days to day, both included, oldest first."""
    return [(v["day"], v[key]) for v in p["visits"] if day - days <= v["day"] <= day and v[key] is not None]


def slope_per_year(points):
    if len(points) < 2:
        return None
    xs = np.array([(d - points[0][0]) / YEAR_DAYS for d, _ in points])
    ys = np.array([y for _, y in points])
    sxx = ((xs - xs.mean()) ** 2).sum()
    if sxx == 0:
        return None
    return float(((xs - xs.mean()) * (ys - ys.mean())).sum() / sxx)


def raw_features(p, day):
    """The features of a visit, None where clinfer finds none (then the bundle's imputation applies)."""
    at = ENROLMENT + dt.timedelta(days=day)
    bili = [(d, math.log(v)) for d, v in window(p, day, SLOPE_WINDOW, "bili")]
    alb = window(p, day, SLOPE_WINDOW, "albumin")
    pt = window(p, day, SLOPE_WINDOW, "protime")
    asc = window(p, day, LATEST_WINDOW, "ascites")
    ede = window(p, day, LATEST_WINDOW, "edema")
    latest = lambda pts: pts[-1][1] if pts else None
    return {
        "age": age_at(p["birth"], at),
        "sex": 1 if p["sex"] == "m" else 0,
        "log_bilirubin": latest(bili), "log_bilirubin_slope": slope_per_year(bili),
        "albumin": latest(alb), "albumin_slope": slope_per_year(alb),
        "prothrombin_time": latest(pt), "prothrombin_time_slope": slope_per_year(pt),
        "ascites": None if not asc else float(asc[-1][1] == 1),
        "edema_treated": None if not ede else float(ede[-1][1] == 0.5),
        "edema_despite_diuretics": None if not ede else float(ede[-1][1] == 1),
        "bilirubin_tests_last_year": float(len(window(p, day, COUNT_WINDOW, "bili"))),
    }


def label(p, day):
    """1: death or transplant within the horizon; 0: followed beyond it; None: censored before it."""
    remaining = p["futime"] - day
    if p["status"] != 0 and remaining <= HORIZON_DAYS:
        return 1
    if remaining > HORIZON_DAYS:
        return 0
    return None


def fit_logistic(x, y, l2):
    """L2-penalised logistic regression (intercept not penalised), Newton-Raphson."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    penalty = np.diag([0.0] + [l2] * x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (y - p) - penalty @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        w += step
        if np.abs(step).max() < 1e-12:
            break
    return w[0], w[1:]


def roc_auc(y, p):
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):  # average ranks over ties
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    npos = y.sum()
    nneg = len(y) - npos
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def calibration(y, p):
    """Calibration-in-the-large (intercept with the logit as offset) and calibration slope."""
    lp = np.log(p / (1 - p))
    a = 0.0
    for _ in range(100):
        q = 1 / (1 + np.exp(-(a + lp)))
        a += (y - q).sum() / (q * (1 - q)).sum()
    intercept_slope = fit_logistic(lp[:, None], y, 0.0)
    return a, float(intercept_slope[1][0])


def build_onnx(means, scales, coef, intercept):
    return logistic_regression_onnx(
        "pbc_risk_logreg",
        ("P(death or liver transplant within 2 years) of a PBC patient at a lab visit; "
                        f"features in the order {', '.join(FEATURES)}; imputation is done before the graph."),
        means, scales, coef, intercept)


def forward(x, means, scales, coef, intercept):
    """The graph's arithmetic in float32, as ONNX Runtime does it."""
    f32 = np.float32
    z = (x.astype(f32) - means.astype(f32)) / scales.astype(f32)
    logit = z @ coef.astype(f32).reshape(-1, 1) + f32(intercept)
    return (1 / (1 + np.exp(-logit.astype(np.float64)))).ravel()


def feature_spec(medians):
    obs = lambda code, display, aggregate, **kw: {"source": "history", "resource": "Observation",
                                                  "codes": [{"system": L, "code": code}], "aggregate": aggregate, **kw}
    coded = lambda code, one_hot: {"source": "history", "resource": "Observation", "codes": [{"system": S, "code": code}],
                                   "one_hot": one_hot, "aggregate": "latest", "window_days": LATEST_WINDOW}
    impute = lambda name: {"impute": round(float(medians[name]), 4)}
    zero = {"impute": 0}
    label = lambda en, fr, de: {"en": en, "fr": fr, "de": de}
    return [
        {"name": "age", "type": "number", "unit": "a", "range": [18, 110], "missing": "required",
         "label": label("Age", "Âge", "Alter"), "fhir": {"source": "patient_age"}},
        {"name": "sex", "type": "category", "values": [0, 1], "encoding": {"female": 0, "male": 1}, "missing": "required",
         "label": label("Sex", "Sexe", "Geschlecht"), "fhir": {"source": "patient_gender", "map": {"female": 0, "male": 1}}},
        {"name": "log_bilirubin", "type": "number", "range": [-5, 5], "missing": impute("log_bilirubin"),
         "label": label("Bilirubin, total (ln mg/dL), latest", "Bilirubine totale (ln mg/dL), dernière", "Bilirubin gesamt (ln mg/dL), letzter Wert"),
         "fhir": obs("1975-2", "Bilirubin.total", "latest", unit="mg/dL", transform="log", window_days=LATEST_WINDOW)},
        {"name": "log_bilirubin_slope", "type": "number", "missing": zero,
         "label": label("Bilirubin trend (ln mg/dL per year)", "Tendance de la bilirubine (ln mg/dL par an)", "Bilirubin-Trend (ln mg/dL pro Jahr)"),
         "fhir": obs("1975-2", "Bilirubin.total", "slope", unit="mg/dL", transform="log", window_days=SLOPE_WINDOW, min_points=2)},
        {"name": "albumin", "type": "number", "unit": "g/dL", "range": [0.5, 7], "missing": impute("albumin"),
         "label": label("Albumin, latest", "Albumine, dernière", "Albumin, letzter Wert"),
         "fhir": obs("1751-7", "Albumin", "latest", window_days=LATEST_WINDOW)},
        {"name": "albumin_slope", "type": "number", "unit": "g/dL/a", "missing": zero,
         "label": label("Albumin trend (g/dL per year)", "Tendance de l'albumine (g/dL par an)", "Albumin-Trend (g/dL pro Jahr)"),
         "fhir": obs("1751-7", "Albumin", "slope", unit="g/dL", window_days=SLOPE_WINDOW, min_points=2)},
        {"name": "prothrombin_time", "type": "number", "unit": "s", "range": [5, 40], "missing": impute("prothrombin_time"),
         "label": label("Prothrombin time, latest", "Temps de prothrombine, dernier", "Prothrombinzeit, letzter Wert"),
         "fhir": obs("5902-2", "Prothrombin time", "latest", window_days=LATEST_WINDOW)},
        {"name": "prothrombin_time_slope", "type": "number", "unit": "s/a", "missing": zero,
         "label": label("Prothrombin time trend (s per year)", "Tendance du temps de prothrombine (s par an)", "Prothrombinzeit-Trend (s pro Jahr)"),
         "fhir": obs("5902-2", "Prothrombin time", "slope", unit="s", window_days=SLOPE_WINDOW, min_points=2)},
        {"name": "ascites", "type": "boolean", "missing": zero,
         "label": label("Ascites", "Ascite", "Aszites"), "fhir": coded("389026000", [{"system": S, "code": "52101004"}])},
        {"name": "edema_treated", "type": "boolean", "missing": zero,
         "label": label("Oedema, untreated or resolved with diuretics", "Œdème non traité ou résolu sous diurétiques", "Ödem, unbehandelt oder unter Diuretika rückläufig"),
         "fhir": coded("267038008", [{"system": EDEMA, "code": "0.5"}])},
        {"name": "edema_despite_diuretics", "type": "boolean", "missing": zero,
         "label": label("Oedema despite diuretics", "Œdème malgré les diurétiques", "Ödem trotz Diuretika"),
         "fhir": coded("267038008", [{"system": EDEMA, "code": "1"}])},
        {"name": "bilirubin_tests_last_year", "type": "number", "range": [0, 400], "missing": zero,
         "label": label("Bilirubin tests in the last year", "Dosages de bilirubine sur un an", "Bilirubin-Bestimmungen im letzten Jahr"),
         "fhir": obs("1975-2", "Bilirubin.total", "count", window_days=COUNT_WINDOW)},
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="pbcseq.csv (R package survival)")
    ap.add_argument("--out", required=True, help="version folder, e.g. models/pbc-risk/1")
    ap.add_argument("--fixtures", help="folder for the held-out visits and expected outputs (test/fixtures/pbc)")
    ap.add_argument("--created", default=dt.date.today().isoformat())
    args = ap.parse_args()

    patients = read(args.data)
    ids = np.array([p["id"] for p in patients])
    rng = np.random.default_rng(SEED)
    held_out = set(rng.permutation(ids)[: round(0.3 * len(ids))].tolist())

    rows = []  # (patient, visit day, raw features, label)
    for p in patients:
        for v in p["visits"]:
            y = label(p, v["day"])
            if y is not None:
                rows.append((p, v["day"], raw_features(p, v["day"]), y))
    train = [r for r in rows if r[0]["id"] not in held_out]
    test = [r for r in rows if r[0]["id"] in held_out]

    medians = {f: float(np.median([r[2][f] for r in train if r[2][f] is not None])) for f in ("log_bilirubin", "albumin", "prothrombin_time")}
    spec = feature_spec(medians)
    fill = {s["name"]: (s["missing"]["impute"] if isinstance(s["missing"], dict) else None) for s in spec}

    def matrix(rs):
        x = np.array([[r[2][f] if r[2][f] is not None else fill[f] for f in FEATURES] for r in rs], dtype=np.float64)
        return x.astype(np.float32).astype(np.float64), np.array([r[3] for r in rs], dtype=np.float64)

    x_tr, y_tr = matrix(train)
    x_te, y_te = matrix(test)
    means = x_tr.mean(axis=0).astype(np.float32)
    scales = x_tr.std(axis=0).astype(np.float32)
    intercept, coef = fit_logistic((x_tr - means) / scales, y_tr, l2=1.0)
    coef = coef.astype(np.float32)
    intercept = float(np.float32(intercept))

    p_tr = forward(x_tr, means, scales, coef, intercept)
    p_te = forward(x_te, means, scales, coef, intercept)
    cal_a, cal_b = calibration(y_te, p_te)
    n_patients = lambda rs: len({r[0]["id"] for r in rs})
    evaluation = {
        "split": "held-out patients",
        "n_visits": len(test), "n_patients": n_patients(test), "n_events": int(y_te.sum()),
        "metrics": {"roc_auc": r4(roc_auc(y_te, p_te)), "brier": r4(np.mean((p_te - y_te) ** 2)),
                    "calibration_intercept": r4(cal_a), "calibration_slope": r4(cal_b),
                    "observed_rate": r4(y_te.mean()), "mean_predicted": r4(p_te.mean())},
        "train": {"n_visits": len(train), "n_patients": n_patients(train), "n_events": int(y_tr.sum()), "roc_auc": r4(roc_auc(y_tr, p_tr))},
    }

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    onnx.save(build_onnx(means, scales, coef, intercept), onnx_path)
    m = evaluation["metrics"]
    bundle = {
        "schema_version": 1,
        "name": NAME,
        "version": os.path.basename(os.path.normpath(args.out)),
        "description": "Logistic regression estimating the risk of death or liver transplant within 2 years of a lab visit "
                       "in primary biliary cholangitis, from the history of bilirubin, albumin and prothrombin time "
                       "(latest values and trends), ascites, oedema, age and sex (demo model trained on the Mayo Clinic PBC follow-up data).",
        "task": "classification",
        "model": {"file": "model.onnx", "sha256": sha256_file(onnx_path)},
        "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1, len(FEATURES)]}],
        "outputs": [{"name": "probability", "datatype": "FP32", "shape": [-1, 1]}],
        "max_batch_size": 256,
        "labels": [
            {"id": "no_event", "text": {"en": "Alive without transplant", "fr": "En vie sans greffe", "de": "Am Leben ohne Transplantation"}},
            {"id": "death_or_transplant", "text": {"en": "Death or liver transplant", "fr": "Décès ou greffe hépatique", "de": "Tod oder Lebertransplantation"}},
        ],
        "prediction_horizon": {"value": 2, "unit": "a"},
        # No risk from nothing: the three labs of the last 2 years must be there (age and sex are required features).
        "preprocessing": {"kind": "tabular", "input": "features", "features": spec,
                          "least_observed": {"required": ["log_bilirubin", "albumin", "prothrombin_time"]}},
        "postprocessing": {
            "kind": "probability",
            "output": "probability",
            "positive_label": "death_or_transplant",
            "threshold": 0.5,
            "linear_model": {
                "intercept": as_f32(intercept),
                "coefficients": {c: as_f32(v) for c, v in zip(FEATURES, coef)},
                "means": {c: as_f32(v) for c, v in zip(FEATURES, means)},
                "scales": {c: as_f32(v) for c, v in zip(FEATURES, scales)},
            },
        },
        "intended_use": (
            "Demonstration and research use only: this is NOT a medical device, has not been clinically validated and must "
            "not be used for patient care. It shows how clinfer reads a patient's history from FHIR (latest values, trends, "
            "coded findings, counts over windows). It outputs the probability of death or liver transplant within 2 years "
            "of a lab visit, learned from the 312 randomised patients of the Mayo Clinic trial of D-penicillamine in primary "
            "biliary cholangitis (1974-1984; 88% women, follow-up to 1986); it does not transfer to today's "
            "patients, treated with ursodeoxycholic acid. Missing latest values are replaced by training medians, missing "
            "trends (fewer than 2 values in 2 years) by 0."),
        "regulatory_status": "Not a medical device: research and demonstration use only, not for diagnostic use",
        "provenance": {
            "training_data": {
                "name": "pbcseq: Mayo Clinic primary biliary cholangitis trial, sequential lab data (1,945 visits of 312 patients)",
                "citation": "Therneau T (2023). A Package for Survival Analysis in R (R package survival 3.5-3, data set pbcseq); "
                            "Murtaugh PA, Dickson ER, Van Dam GM et al. Primary biliary cirrhosis: prediction of short-term survival "
                            "based on repeated patient visits. Hepatology 20:126-134, 1994.",
                "licence": "LGPL (>= 2), as the R package survival",
            },
            "split": (f"Patients split at random (seed {SEED}): {n_patients(train)} for training, {n_patients(test)} held out. "
                      "Every visit with 2 years of follow-up or an event within 2 years is an example (visits censored before "
                      "2 years without an event are left out). L2 logistic regression (lambda 1 on the standardised scale) "
                      "fitted on the training visits; evaluated once on the held-out patients' visits."),
            "evaluation": evaluation,
            "licence": "LGPL-2.1-or-later (model weights derived from LGPL data)",
            "recipe": RECIPE,
            "created": args.created,
        },
        "cds_hooks": {"id": "pbc-risk", "hook": "patient-view", "title": "PBC 2-year risk (demo)",
                      "description": "Risk of death or liver transplant within 2 years in primary biliary cholangitis, from the lab history (demo model, not for care)."},
        "execution": {"providers": ["cpu"], "intra_op_threads": 1},
    }
    write_bundle(args.out, bundle)

    if args.fixtures:
        os.makedirs(args.fixtures, exist_ok=True)
        fmt = lambda v: "" if v is None else (str(int(v)) if float(v).is_integer() else repr(float(v)))
        with open(os.path.join(args.fixtures, "visits.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "birth_date", "gender", "date", "bili", "albumin", "protime", "ascites", "edema"])
            for p in patients:
                if p["id"] not in held_out:
                    continue
                for v in p["visits"]:
                    w.writerow([p["id"], p["birth"].isoformat(), "male" if p["sex"] == "m" else "female",
                                (ENROLMENT + dt.timedelta(days=v["day"])).isoformat(),
                                *(fmt(v[k]) for k in ("bili", "albumin", "protime", "ascites", "edema"))])
        with open(os.path.join(args.fixtures, "expected.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "date", "label", *FEATURES, "imputed", "probability"])
            for r, x, prob in zip(test, x_te, p_te):
                imputed = ";".join(k for k in FEATURES if r[2][k] is None)
                w.writerow([r[0]["id"], (ENROLMENT + dt.timedelta(days=r[1])).isoformat(), r[3], *(repr(float(v)) for v in x), imputed, repr(float(prob))])

    print(json.dumps({"onnx_bytes": os.path.getsize(onnx_path), "sha256": bundle["model"]["sha256"], "evaluation": evaluation,
                      "coefficients": dict(zip(FEATURES, [round(float(c), 3) for c in coef]))}, indent=1))


if __name__ == "__main__":
    main()
