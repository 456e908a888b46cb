"""A first real run of lossx: train a softmax classifier with NumPy only, then score it.

    pip install . && python examples/quickstart.py

1. Makes an imbalanced 5-class data set (generated here; nothing is downloaded).
2. Trains a linear softmax classifier by gradient descent, getting the loss and its
   gradient w.r.t. the logits in one fused call (``cross_entropy_with_grad``), with
   class weights from ``class_weights`` and label smoothing.
3. Scores the held-out predictions per sample (``reduction='none'``) to rank the
   hardest examples, as one does with millions of saved predictions.
"""

from __future__ import annotations

import time

import numpy as np

import lossx


def make_data(rng, centers, n):
    d = centers.shape[1]
    priors = np.array([0.55, 0.25, 0.12, 0.06, 0.02])
    y = rng.choice(len(priors), size=n, p=priors)
    x = centers[y] + rng.standard_normal((n, d)) * 2.0
    return x.astype(np.float32), y


def main():
    rng = np.random.default_rng(0)
    d, classes = 32, 5
    centers = rng.standard_normal((classes, d)) * 0.6
    x_train, y_train = make_data(rng, centers, 60_000)
    x_test, y_test = make_data(rng, centers, 20_000)

    weight = lossx.class_weights(y_train, num_classes=classes, dtype=np.float32)
    print("class counts :", np.bincount(y_train, minlength=classes))
    print("class weights:", np.round(weight, 3), "(scheme='balanced')")

    W = np.zeros((d, classes), np.float32)
    b = np.zeros(classes, np.float32)
    lr = 0.5
    t0 = time.perf_counter()
    for step in range(201):
        logits = x_train @ W + b
        loss, dlogits = lossx.cross_entropy_with_grad(logits, y_train, weight, label_smoothing=0.05)
        W -= lr * (x_train.T @ dlogits)
        b -= lr * dlogits.sum(0)
        if step % 50 == 0:
            print(f"step {step:3d}  weighted cross-entropy {float(loss):.4f}")
    print(f"trained in {time.perf_counter() - t0:.2f} s with {lossx.get_num_threads()} threads")

    logits = x_test @ W + b
    per_sample = lossx.cross_entropy(logits, y_test, reduction="none")
    pred = logits.argmax(1)
    print(f"test accuracy {np.mean(pred == y_test):.3f}, mean test loss {per_sample.mean():.4f}")
    for c in range(classes):
        m = y_test == c
        print(f"  class {c}: recall {np.mean(pred[m] == c):.3f}  ({m.sum()} samples)")
    worst = np.argsort(per_sample)[::-1][:5]
    print("hardest test samples (index, label, loss):")
    for i in worst:
        print(f"  {i:6d}  {y_test[i]}  {per_sample[i]:.3f}")
    assert per_sample.dtype == np.float32 and np.isfinite(per_sample).all()


if __name__ == "__main__":
    main()
