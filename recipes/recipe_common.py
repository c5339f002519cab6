"""What the training recipes share: file hashing, rounding, drift histograms, the logistic-regression
ONNX graph, translated bundle texts and writing bundle.json.

Every function here is deterministic: a recipe rerun with the same data and arguments writes the same
bytes (see README.md, "Rerun").
"""
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def r4(v):
    """Rounded to 4 decimals, as bundle.json states figures."""
    return round(float(v), 4)


def as_f32(v):
    """Exactly the float32 value baked into an ONNX graph, as a JSON number."""
    return float(np.float32(v))


def decile_histogram(values):
    """The drift reference of one feature or output: bin edges at the deciles of the observed values,
    the share of values per bin and the share missing (NaN). The server compares live traffic against
    it (population stability index) without keeping any input."""
    values = np.asarray(values, dtype=np.float64).ravel()
    observed = values[~np.isnan(values)]
    edges = sorted(set(float(e) for e in np.quantile(observed, np.linspace(0.1, 0.9, 9))))
    counts = np.bincount(np.searchsorted(edges, observed, side="right"), minlength=len(edges) + 1)
    return {"edges": [r4(e) for e in edges], "proportions": [r4(c / len(observed)) for c in counts],
            "missing": r4(np.isnan(values).mean())}


def logistic_regression_onnx(graph_name, doc_string, means, scales, coef, intercept, medians=None):
    """P(outcome) = sigmoid(((x - means) / scales) @ coef + intercept) as an ONNX graph (opset 17,
    IR 8) taking `features` [batch, n] and giving `probability` [batch, 1]. With `medians`, a NaN
    feature is first replaced by its median in the graph (Where(IsNaN(x), medians, x))."""
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    n = len(means)
    inits = ([numpy_helper.from_array(f32(medians), "medians")] if medians is not None else []) + [
        numpy_helper.from_array(f32(means), "means"),
        numpy_helper.from_array(f32(scales), "scales"),
        numpy_helper.from_array(f32(coef).reshape(n, 1), "coefficients"),
        numpy_helper.from_array(f32([intercept]), "intercept"),
    ]
    impute = [
        helper.make_node("IsNaN", ["features"], ["is_missing"], name="is_missing"),
        helper.make_node("Where", ["is_missing", "medians", "features"], ["imputed"], name="impute_median"),
    ] if medians is not None else []
    nodes = impute + [
        helper.make_node("Sub", ["imputed" if medians is not None else "features", "means"], ["centered"], name="center"),
        helper.make_node("Div", ["centered", "scales"], ["standardised"], name="scale"),
        helper.make_node("MatMul", ["standardised", "coefficients"], ["linear"], name="linear"),
        helper.make_node("Add", ["linear", "intercept"], ["logit"], name="add_intercept"),
        helper.make_node("Sigmoid", ["logit"], ["probability"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes, graph_name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="clinfer-recipes", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    model.doc_string = doc_string
    onnx.checker.check_model(model, full_check=True)
    return model


def translations(bundle_name, **facts):
    """bundle.json `i18n`: the French and German texts in i18n/<bundle_name>.json, with the figures
    computed from the data (`{n}`, `{n_test}`, ...) filled in, as the English texts are."""
    with open(os.path.join(HERE, "i18n", f"{bundle_name}.json"), encoding="utf-8") as f:
        texts = json.load(f)
    return {lang: {key: value.format(**facts) if isinstance(value, str) else value for key, value in entries.items()}
            for lang, entries in texts.items()}


def write_bundle(out_dir, bundle):
    with open(os.path.join(out_dir, "bundle.json"), "w", encoding="utf-8") as f:
        json.dump(bundle, f, indent=2, ensure_ascii=False)
        f.write("\n")
