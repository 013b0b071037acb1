"""Benchmark dlcourse.CNN on the digits: prints, never asserts.

1. Accuracy: ``CNN()`` with its defaults on the stratified one-third test split of the
   8x8 digits (``train_test_split(X, y, test_size=1/3, stratify=y, random_state=0)``),
   seeds 0-4: test accuracy per seed, minimum and mean, and how far the learned
   kernels moved from their initialisation (relative Frobenius norm). With PyTorch
   installed, the same network, optimizer, learning rate, batch size and number of
   epochs in PyTorch, for comparison.
2. Speed: time per epoch of ``CNN().fit`` (mini-batches of 32, Adam) against the same
   network trained the same way in PyTorch on the CPU, one BLAS/intra-op thread on both
   sides, for the default network (16 filters, 64 hidden units) and a wide one
   (64 filters, 256 hidden units). dlcourse computes in float64 (the course's dtype);
   PyTorch is timed both in float64 (the same arithmetic) and in float32 (its default).
   Runs alternate between the contenders and the best of several is kept, so a busy
   machine slows both alike.

Targets: minimum accuracy >= 0.98 over the seeds; default network no slower than
PyTorch; wide network within 1.5x of PyTorch.

Usage: ``python benchmarks/cnn.py`` (a few minutes; PyTorch rows need the optional extra
``pip install torch==2.13.0``) or ``python benchmarks/cnn.py --quick``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from dlcourse.cnn import CNN, DEFAULT_BATCH_SIZE, DEFAULTS
from dlcourse.data import load_digits, train_test_split

try:
    import torch
except ImportError:  # the torch rows are skipped
    torch = None


def digits_split():
    X, y = load_digits(as_images=True)
    return train_test_split(X, y, test_size=1 / 3, stratify=y, random_state=0)


# ------------------------------------------------------------------------------ PyTorch


def torch_network(n_filters, n_hidden, seed, dtype):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, n_filters, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(n_filters * 9, n_hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(n_hidden, 10),
    )
    return net.to(dtype)


def torch_fit(X, y, n_filters, n_hidden, seed, n_epochs, dtype):
    """The same training as CNN.fit's defaults: Adam, shuffled batches, mean cross-entropy."""
    lr = DEFAULTS["adam"][0]
    net = torch_network(n_filters, n_hidden, seed, dtype)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    tX, ty = torch.tensor(X, dtype=dtype), torch.tensor(y)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(n_epochs):
        order = torch.randperm(len(tX), generator=gen)
        for start in range(0, len(tX), DEFAULT_BATCH_SIZE):
            batch = order[start : start + DEFAULT_BATCH_SIZE]
            opt.zero_grad()
            loss_fn(net(tX[batch]), ty[batch]).backward()
            opt.step()
    return net


def torch_score(net, X, y, dtype):
    with torch.no_grad():
        return float((net(torch.tensor(X, dtype=dtype)).argmax(1).numpy() == y).mean())


# ------------------------------------------------------------------------------ parts


def accuracy_part(seeds):
    X_train, X_test, y_train, y_test = digits_split()
    lr, n_epochs = DEFAULTS["adam"]
    print(
        f"1. Accuracy on the digits (train {len(y_train)}, test {len(y_test)}): "
        f"CNN() defaults = Adam, lr {lr}, {n_epochs} epochs, batch {DEFAULT_BATCH_SIZE}"
    )
    rows = []
    for seed in seeds:
        model = CNN(seed=seed)
        K0 = model.params[0][0].copy()
        start = time.perf_counter()
        model.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        moved = np.linalg.norm(model.params[0][0] - K0) / np.linalg.norm(K0)
        acc = model.score(X_test, y_test)
        line = (
            f"   seed {seed}: dlcourse {acc:.4f}  (fit {elapsed:5.1f} s, kernels moved {moved:.2f})"
        )
        if torch is not None:
            net = torch_fit(X_train, y_train, 16, 64, seed, n_epochs, torch.float64)
            t_acc = torch_score(net, X_test, y_test, torch.float64)
            line += f"  | PyTorch same recipe {t_acc:.4f}"
            rows.append((acc, t_acc))
        else:
            rows.append((acc, np.nan))
        print(line, flush=True)
    accs = np.array(rows)
    print(
        f"   dlcourse: min {accs[:, 0].min():.4f}, mean {accs[:, 0].mean():.4f} "
        "(target: min >= 0.98)"
    )
    if torch is not None:
        print(f"   PyTorch:  min {accs[:, 1].min():.4f}, mean {accs[:, 1].mean():.4f}")


def time_per_epoch(fn, n_epochs):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / n_epochs


def speed_part(n_epochs, repeats):
    X_train, _, y_train, _ = digits_split()
    print(
        f"\n2. Time per epoch (ms), {len(y_train)} images, batch {DEFAULT_BATCH_SIZE}, Adam, "
        f"one thread; best of {repeats} runs of {n_epochs} epochs, contenders alternating"
    )
    for n_filters, n_hidden, target in [(16, 64, 1.0), (64, 256, 1.5)]:
        contenders = {
            "dlcourse (float64)": lambda nf=n_filters, nh=n_hidden: CNN(
                n_filters=nf, n_hidden=nh
            ).fit(X_train, y_train, n_epochs=n_epochs)
        }
        if torch is not None:
            for name, dtype in [("float64", torch.float64), ("float32", torch.float32)]:
                contenders[f"PyTorch ({name})"] = lambda nf=n_filters, nh=n_hidden, dt=dtype: (
                    torch_fit(X_train, y_train, nf, nh, 0, n_epochs, dt)
                )
        for fn in contenders.values():  # warm-up: imports, first allocations
            fn()
        best = dict.fromkeys(contenders, np.inf)
        for _ in range(repeats):
            for name, fn in contenders.items():
                best[name] = min(best[name], time_per_epoch(fn, n_epochs))
        print(
            f"   n_filters={n_filters}, n_hidden={n_hidden} (target: within {target}x of PyTorch)"
        )
        ours = best["dlcourse (float64)"]
        for name, t in best.items():
            ratio = "" if name.startswith("dlcourse") else f"   dlcourse / this = {ours / t:.2f}"
            print(f"     {name:20s} {1000 * t:7.1f}{ratio}")
        if torch is None:
            print("     PyTorch rows skipped: torch is not installed (pip install torch==2.13.0)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two seeds, shorter timing runs")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    blas = ", ".join(
        f"{i['internal_api']} {i.get('version', '')} ({i.get('architecture', '?')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, BLAS: {blas}, "
        f"torch {torch.__version__ if torch is not None else 'not installed'}, "
        f"CPU: {platform.processor() or platform.machine()}\n"
    )
    with threadpool_limits(1):
        accuracy_part([0, 1] if args.quick else [0, 1, 2, 3, 4])
        speed_part(n_epochs=3 if args.quick else 5, repeats=2 if args.quick else 5)


if __name__ == "__main__":
    main()
