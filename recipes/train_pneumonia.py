#!/usr/bin/env python3
"""Train the `chest-xray-pneumonia` demo bundle (small CNN on PneumoniaMNIST).

Data: PneumoniaMNIST (MedMNIST v2), 28x28 grayscale chest X-rays,
label 0 = normal, 1 = pneumonia. CC BY 4.0.
Yang et al., "MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D
biomedical image classification", Scientific Data 10, 41 (2023).

Protocol:
  * fit on `train`, keep the epoch with the best ROC AUC on `val`
    (ties broken by lower val loss), evaluate once on the held-out `test` split;
  * input normalisation (pixel/255, then (x-0.5)/0.5) is done OUTSIDE the graph
    and declared in bundle.json "preprocessing";
  * export with torch.onnx.export, opset 17, dynamic batch axis.

Writes <out>/model.onnx and <out>/bundle.json (sha256 + test-split metrics).

Usage:
  /usr/bin/python3 recipes/train_pneumonia.py \
      --data /path/to/pneumoniamnist.npz --out models/chest-xray-pneumonia/1
"""
import argparse
import datetime
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from recipe_common import decile_histogram, r4, sha256_file, translations, write_bundle
from sklearn.metrics import roc_auc_score

NAME = "chest-xray-pneumonia"
RECIPE = "recipes/train_pneumonia.py"


def set_determinism(seed, threads):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


class SmallCNN(nn.Module):
    """3 conv blocks + global average pooling + linear head (~24k parameters)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(64)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)  # 14x14
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)  # 7x7
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(self.drop(x))


def normalise(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28]: pixel/255 then (x-0.5)/0.5."""
    x = images_u8.astype(np.float32) / 255.0
    x = (x - 0.5) / 0.5
    return torch.from_numpy(x[:, None, :, :])


def augment(x, gen):
    """Light, label-preserving augmentation: random shift of up to 2 px
    (zero-padded in the normalised domain's background, -1) plus small
    brightness/contrast jitter. No flips (laterality matters on chest films)."""
    n = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2), value=-1.0)
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = pad[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    gain = 1.0 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.2
    bias = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.2
    return out * gain + bias


@torch.no_grad()
def predict_logits(model, x, batch=512):
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def metrics(y_true, logits):
    prob = torch.softmax(logits, dim=1)[:, 1].numpy()
    pred = (logits.argmax(dim=1).numpy() == 1).astype(int)
    y = y_true.astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return {
        "accuracy": (tp + tn) / len(y),
        "roc_auc": float(roc_auc_score(y, prob)),
        "sensitivity": tp / (tp + fn),
        "specificity": tn / (tn + fp),
    }, {"tp": tp, "tn": tn, "fp": fp, "fn": fn}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="path to pneumoniamnist.npz")
    ap.add_argument("--out", required=True, help="bundle version folder, e.g. models/chest-xray-pneumonia/1")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2,
                    help="torch CPU threads; keep fixed for bit-reproducible reruns")
    ap.add_argument("--created", default=datetime.date.today().isoformat(),
                    help="provenance.created date (YYYY-MM-DD), default today")
    ap.add_argument("--parity-out", default=None,
                    help="optional: write a JSON fixture (sample inputs + PyTorch logits) "
                         "for checking the ONNX export with another runtime")
    args = ap.parse_args()

    t0 = time.time()
    set_determinism(args.seed, args.threads)
    d = np.load(args.data)
    x_tr, y_tr = normalise(d["train_images"]), d["train_labels"].ravel().astype(np.int64)
    x_va, y_va = normalise(d["val_images"]), d["val_labels"].ravel().astype(np.int64)
    x_te, y_te = normalise(d["test_images"]), d["test_labels"].ravel().astype(np.int64)
    counts = {s: {"n": int(len(y)), "normal": int((y == 0).sum()), "pneumonia": int((y == 1).sum())}
              for s, y in (("train", y_tr), ("val", y_va), ("test", y_te))}
    print("splits:", counts, flush=True)

    model = SmallCNN()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = torch.Generator().manual_seed(args.seed)
    yt_tr = torch.from_numpy(y_tr)

    best = None
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen)
        total = 0.0
        for i in range(0, len(perm), args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb = augment(x_tr[idx], gen)
            loss = F.cross_entropy(model(xb), yt_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        lv = predict_logits(model, x_va)
        vloss = F.cross_entropy(lv, torch.from_numpy(y_va)).item()
        vm, _ = metrics(y_va, lv)
        print(f"epoch {epoch:2d} train_loss {total / len(x_tr):.4f} val_loss {vloss:.4f} "
              f"val_auc {vm['roc_auc']:.4f} val_acc {vm['accuracy']:.4f}", flush=True)
        key = (vm["roc_auc"], -vloss)
        if best is None or key > best[0]:
            best = (key, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})

    (_, best_epoch, state) = best
    model.load_state_dict(state)
    model.eval()
    val_m, _ = metrics(y_va, predict_logits(model, x_va))
    test_logits = predict_logits(model, x_te)
    test_m, confusion = metrics(y_te, test_logits)
    train_s = time.time() - t0
    print(f"selected epoch {best_epoch}; val {val_m}; test {test_m} {confusion}; "
          f"{train_s:.1f}s", flush=True)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), onnx_path,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True, export_params=True)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)


    # Drift reference: the intensity histogram of the (normalised) training images as the model sees them,
    # and of the model's P(pneumonia) on them (bin edges at deciles). The server compares live traffic
    # against these (population stability index) without keeping any image.
    train_prob = torch.softmax(predict_logits(model, x_tr), dim=1)[:, 1].numpy()
    monitoring = {"drift_reference": {
        "source": f"training split (n={len(y_tr)})",
        "input_intensity": decile_histogram(x_tr.numpy()),
        "output": decile_histogram(train_prob),
    }}

    bundle = {
        "schema_version": 1,
        "name": NAME,
        "version": os.path.basename(os.path.normpath(args.out)),
        "description": "Small CNN that classifies a 28x28 grayscale chest X-ray as normal or pneumonia "
                       "(demo model trained on PneumoniaMNIST).",
        "task": "classification",
        "model": {"file": "model.onnx", "sha256": sha256_file(onnx_path)},
        "inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
        "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 2]}],
        "max_batch_size": 64,
        "labels": [
            {"id": "normal", "text": {"en": "No pneumonia", "fr": "Pas de pneumonie", "de": "Keine Pneumonie"}},
            {"id": "pneumonia", "text": {"en": "Pneumonia", "fr": "Pneumonie", "de": "Pneumonie"},
             "code": {"value": "233604007", "scheme": "SCT", "meaning": "Pneumonia"}},
        ],
        "preprocessing": {"kind": "image", "input": "image", "color": "grayscale", "width": 28, "height": 28,
                          "layout": "NCHW", "scale": 1.0 / 255.0, "mean": [0.5], "std": [0.5]},
        "postprocessing": {"kind": "softmax", "output": "logits"},
        "intended_use": (
            "Demonstration and research use only: this is NOT a medical device, has not been clinically "
            "validated and must not be used for diagnosis or patient management. It was trained on "
            "PneumoniaMNIST, i.e. anterior-posterior paediatric chest X-rays (children aged 1-5 years, "
            "Guangzhou Women and Children's Medical Center) down-sampled to 28x28 pixels; at that "
            "resolution most diagnostic detail is lost. The copy of the data used here is class-balanced "
            "(50% pneumonia), so the softmax output is not a calibrated probability for any real "
            "population. It does not distinguish bacterial from viral pneumonia, has not been evaluated "
            "on adults, other sites, other devices or lateral views, and its reported metrics come from "
            f"a single held-out split of {len(y_te)} images from the same source."),
        # The inputs the model was made for (docs/bundle-format.md, input_scope): paediatric frontal chest
        # radiographs, as in PneumoniaMNIST; anything else is refused rather than scored.
        "input_scope": {"modalities": ["CR", "DX"], "body_parts": ["CHEST"], "view_positions": ["AP", "PA"],
                        "photometric_interpretations": ["MONOCHROME1", "MONOCHROME2"], "min_rows": 28,
                        "min_columns": 28, "patient_age_years": {"min": 1, "max": 5}},
        "out_of_scope": "refuse",
        "regulatory_status": "Not a medical device: research and demonstration use only, not for diagnostic use",
        "i18n": translations(NAME, n_test=len(y_te)),
        "provenance": {
            "training_data": {
                "name": "PneumoniaMNIST (MedMNIST v2)",
                "citation": "Yang, J., Shi, R., Wei, D., Liu, Z., Zhao, L., Ke, B., Pfister, H., Ni, B. "
                            "MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical "
                            "image classification. Scientific Data 10, 41 (2023). "
                            "Source images: Kermany et al., Cell 172(5), 1122-1131 (2018).",
                "licence": "CC BY 4.0",
                "url": "https://medmnist.com/",
            },
            "split": (f"Predefined train/val/test splits of the supplied file, which is a class-balanced "
                      f"subset of the official PneumoniaMNIST splits (official sizes 4708/524/624, about 74% "
                      f"pneumonia; here {counts['train']['n']}/{counts['val']['n']}/{counts['test']['n']} "
                      f"with 50% pneumonia). Trained on train (n={counts['train']['n']}, "
                      f"{counts['train']['pneumonia']} pneumonia), epoch selected by ROC AUC on val "
                      f"(n={counts['val']['n']}; best epoch {best_epoch} of {args.epochs}), evaluated once on "
                      f"the held-out test split (n={counts['test']['n']}). Decision rule for accuracy, "
                      f"sensitivity and specificity: argmax of the logits (P(pneumonia) >= 0.5). "
                      f"Seed {args.seed}."),
            "evaluation": {
                "split": "test",
                "n": int(len(y_te)),
                "metrics": {k: r4(test_m[k]) for k in ("accuracy", "roc_auc", "sensitivity", "specificity")},
            },
            "licence": "Apache-2.0 (model weights); data CC BY 4.0",
            "recipe": RECIPE,
            "created": args.created,
        },
        "monitoring": monitoring,
        "execution": {"providers": ["cpu"], "intra_op_threads": 1},
    }
    write_bundle(args.out, bundle)

    if args.parity_out:
        idx = np.arange(0, len(x_te), max(1, len(x_te) // 5))[:5]
        xs = x_te[idx]
        with torch.no_grad():
            ls = model(xs)
        with open(args.parity_out, "w") as f:
            json.dump({"input": "image", "output": "logits", "shape": list(xs.shape),
                       "data": xs.numpy().ravel().tolist(), "expected": ls.numpy().tolist(),
                       "test_metrics": test_m}, f)

    print(json.dumps({"params": n_params, "onnx_bytes": os.path.getsize(onnx_path),
                      "sha256": bundle["model"]["sha256"], "best_epoch": best_epoch,
                      "val": val_m, "test": test_m, "confusion": confusion,
                      "seconds": round(time.time() - t0, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
