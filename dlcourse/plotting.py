"""Plots used throughout the course: data, decision boundaries, losses, networks.

Every helper takes ``ax=None`` (a new figure is made when no Axes is given),
draws on that Axes, returns it and never calls ``plt.show()``. All colours come
from one colour-blind-safe palette, :data:`PALETTE` (Okabe and Ito, 2008), so
no figure relies on a red/green contrast. Class 0 is drawn in orange with
circles and class 1 in blue with triangles: colour and shape both carry the
class, which also survives printing in grey.

Data layout as everywhere in ``dlcourse``: ``X`` has shape
``(n_samples, n_features)``, one sample per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Circle

from .activations import get_activation

#: The Okabe-Ito palette: eight colours that stay distinct for the common forms
#: of colour blindness. The single source of colour for every course figure.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order in which successive lines and classes take their colours.
COLOR_CYCLE: tuple[str, ...] = tuple(
    PALETTE[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "reddish_purple",
        "sky_blue",
        "vermillion",
        "yellow",
        "black",
    )
)

#: Colour of each class label: class 0 orange, class 1 blue, further classes follow.
CLASS_COLORS: tuple[str, ...] = (PALETTE["orange"], PALETTE["blue"]) + tuple(
    c for c in COLOR_CYCLE if c not in (PALETTE["orange"], PALETTE["blue"])
)

#: Marker of each class label (a second cue besides colour).
CLASS_MARKERS: tuple[str, ...] = ("o", "^", "s", "D", "v", "P", "X", "*")

#: Colour map for probabilities: orange (p = 0, class 0) to white to blue (p = 1, class 1).
PROBA_CMAP = LinearSegmentedColormap.from_list(
    "dlcourse_proba", [PALETTE["orange"], "#FFFFFF", PALETTE["blue"]]
)

#: Node colours of :func:`plot_network`, by layer role.
LAYER_COLORS: dict[str, str] = {
    "input": PALETTE["sky_blue"],
    "hidden": PALETTE["bluish_green"],
    "output": PALETTE["orange"],
}


def use_course_style() -> None:
    """Set matplotlib defaults for course figures (palette cycle, light grid, no top/right spines).

    Changes ``matplotlib.rcParams`` for the running process; call it once at the
    top of a notebook.

    Examples
    --------
    >>> use_course_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE["blue"]
    True
    """
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=list(COLOR_CYCLE)),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "legend.frameon": False,
            "image.cmap": "cividis",
        }
    )


# --------------------------------------------------------------------------- checks


def _get_ax(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
        return ax
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _check_X2d(X, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"{name} must have shape (n_samples, 2) (two features to plot), got shape {X.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one sample, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must contain only finite numbers")
    return X


def _check_labels(y, n_samples: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},) to match X, got shape {y.shape}")
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError(f"{name} must hold integer class labels 0, 1, ..., got {np.unique(y)[:5]}")
    y = y.astype(int)
    if y.size and (y.min() < 0 or y.max() >= len(CLASS_COLORS)):
        raise ValueError(
            f"{name} must hold class labels between 0 and {len(CLASS_COLORS) - 1}, "
            f"got values from {y.min()} to {y.max()}"
        )
    return y


def _scatter_classes(ax: Axes, X: np.ndarray, y: np.ndarray, **kwargs) -> None:
    for label in np.unique(y):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            color=CLASS_COLORS[label],
            marker=CLASS_MARKERS[label],
            edgecolors=PALETTE["black"],
            linewidths=0.4,
            label=f"y = {label}",
            **kwargs,
        )


# --------------------------------------------------------------------------- plots


def plot_data(X, y, ax: Axes | None = None) -> Axes:
    """Scatter plot of a data set.

    Two cases, chosen by the shape of ``X``:

    * ``X`` of shape ``(n_samples, 2)``: a classification set. Each point sits at
      ``(x1, x2)``; its colour and marker give its class ``y`` (0 orange circle,
      1 blue triangle).
    * ``X`` of shape ``(n_samples,)`` or ``(n_samples, 1)``: a regression set;
      the points ``(x_i, y_i)`` are drawn in black.

    Parameters
    ----------
    X : array_like, shape (n_samples, 2) or (n_samples,)
        Inputs.
    y : array_like, shape (n_samples,)
        Class labels 0, 1, ... (classification) or real targets (regression).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> ax = plot_data([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    >>> len(ax.collections)
    2
    """
    X_arr = np.asarray(X, dtype=float)
    if X_arr.ndim == 1 or (X_arr.ndim == 2 and X_arr.shape[1] == 1):
        x = X_arr.reshape(-1)
        y_arr = np.asarray(y, dtype=float).reshape(-1) if np.ndim(y) else np.asarray(y)
        if y_arr.shape != x.shape:
            raise ValueError(f"y must have shape {x.shape} to match X, got shape {y_arr.shape}")
        ax = _get_ax(ax)
        ax.scatter(x, y_arr, color=PALETTE["black"], s=20, label="data", zorder=3)
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$")
        return ax
    X_arr = _check_X2d(X_arr)
    y_arr = _check_labels(y, X_arr.shape[0])
    ax = _get_ax(ax)
    _scatter_classes(ax, X_arr, y_arr, s=18, zorder=3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    return ax


def plot_decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax: Axes | None = None,
    resolution: int = 200,
    extent: tuple[float, float, float, float] | None = None,
) -> Axes:
    """Shade the plane by a classifier's probability of class 1 and draw its 0.5 boundary.

    The classifier is evaluated on a ``resolution x resolution`` grid that covers
    the data with a small margin. Filled contours at levels 0, 0.1, ..., 1 show
    ``p`` (orange for p near 0, white near 0.5, blue near 1); a black line marks
    the decision boundary ``p = 0.5``; the data are drawn on top.

    Parameters
    ----------
    predict_proba : callable
        Maps an array of shape ``(m, 2)`` to probabilities of class 1 of shape
        ``(m,)`` (a scikit-learn style ``(m, 2)`` output is accepted too; its
        second column is used).
    X : array_like, shape (n_samples, 2)
    y : array_like, shape (n_samples,)
        Class labels 0/1.
    ax : matplotlib Axes, optional
    resolution : int, default 200
        Grid points per axis (at least 2).
    extent : (x1_min, x1_max, x2_min, x2_max), optional
        Area to shade; by default the data's range plus a 10 % margin.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> X = [[-1.0, 0.0], [1.0, 0.0]]
    >>> ax = plot_decision_boundary(lambda G: (G[:, 0] > 0).astype(float), X, [0, 1], resolution=20)
    """
    X = _check_X2d(X)
    y = _check_labels(y, X.shape[0])
    if not callable(predict_proba):
        raise ValueError(
            f"predict_proba must be a function mapping (m, 2) inputs to (m,) probabilities, "
            f"got {type(predict_proba).__name__}"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    if resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution}")

    if extent is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        margin = 0.1 * np.maximum(hi - lo, 1e-9)
        extent = (lo[0] - margin[0], hi[0] + margin[0], lo[1] - margin[1], hi[1] + margin[1])
    else:
        extent = tuple(np.asarray(extent, dtype=float).ravel())
        if (
            len(extent) != 4
            or not np.all(np.isfinite(extent))
            or not (extent[0] < extent[1] and extent[2] < extent[3])
        ):
            raise ValueError(
                f"extent must be (x1_min, x1_max, x2_min, x2_max) with min < max, got {extent}"
            )
    g1 = np.linspace(extent[0], extent[1], resolution)
    g2 = np.linspace(extent[2], extent[3], resolution)
    G1, G2 = np.meshgrid(g1, g2)
    grid = np.column_stack([G1.ravel(), G2.ravel()])

    p = np.asarray(predict_proba(grid), dtype=float)
    m = grid.shape[0]
    if p.shape == (m, 2):
        p = p[:, 1]
    elif p.shape == (m, 1):
        p = p[:, 0]
    if p.shape != (m,):
        raise ValueError(
            f"predict_proba must return shape ({m},) for a grid of shape {grid.shape}, "
            f"got shape {p.shape}"
        )
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise ValueError("predict_proba must return probabilities between 0 and 1")
    P = p.reshape(G1.shape)

    ax = _get_ax(ax)
    filled = ax.contourf(G1, G2, P, levels=np.linspace(0.0, 1.0, 11), cmap=PROBA_CMAP, alpha=0.6)
    filled.set_gid("probability")
    if P.min() < 0.5 < P.max():
        line = ax.contour(G1, G2, P, levels=[0.5], colors=PALETTE["black"], linewidths=1.5)
        line.set_gid("boundary")
    _scatter_classes(ax, X, y, s=16, zorder=3)
    ax.set_xlim(g1[0], g1[-1])
    ax.set_ylim(g2[0], g2[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", framealpha=0.8, frameon=True)
    return ax


def plot_loss_curve(losses, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Plot a loss against the training step.

    Successive calls on the same Axes take successive palette colours, so
    several runs can be compared on one plot (give each a ``label``).

    Parameters
    ----------
    losses : array_like, shape (n_steps,)
        Loss value at each step or epoch (``nan``/``inf`` are allowed, e.g. for a
        diverging run, and leave gaps).
    ax : matplotlib Axes, optional
    label : str, optional
        Legend entry for this curve.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> ax = plot_loss_curve([1.0, 0.5, 0.25], label="lr = 0.1")
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 0.5, 0.25]
    """
    try:
        losses = np.asarray(losses, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"losses must be a 1-D sequence of numbers: {err}") from None
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(
            f"losses must be a non-empty 1-D sequence of numbers, got shape {losses.shape}"
        )
    if label is not None and not isinstance(label, str):
        raise ValueError(f"label must be a string or None, got {type(label).__name__}")
    ax = _get_ax(ax)
    color = COLOR_CYCLE[len(ax.get_lines()) % len(COLOR_CYCLE)]
    ax.plot(np.arange(losses.size), losses, color=color, label=label, linewidth=1.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if label is not None:
        ax.legend(loc="best")
    return ax


def plot_activation(
    name: str, ax: Axes | None = None, t_range: tuple[float, float] = (-5, 5)
) -> Axes:
    """Plot an activation function (solid blue) and its derivative (dashed orange).

    Both come from the registries of :mod:`dlcourse.activations`
    (``get_activation(name)``).

    Parameters
    ----------
    name : str
        A key of ``dlcourse.activations.ACTIVATIONS``: "sigmoid", "tanh", "relu",
        "leaky_relu" or "identity".
    ax : matplotlib Axes, optional
    t_range : (float, float), default (-5, 5)
        Range of the pre-activation ``t`` on the horizontal axis.

    Returns
    -------
    ax : matplotlib Axes
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be an activation name (a string), got {type(name).__name__}")
    f, f_grad = get_activation(name)
    lo, hi = t_range
    if not lo < hi:
        raise ValueError(f"t_range must be (low, high) with low < high, got {t_range}")
    ax = _get_ax(ax)
    t = np.linspace(lo, hi, 401)
    ax.plot(t, f(t), color=PALETTE["blue"], linewidth=2, label=f"{name}$(t)$")
    ax.plot(t, f_grad(t), color=PALETTE["orange"], linewidth=2, linestyle="--", label="derivative")
    ax.axhline(0, color=PALETTE["black"], linewidth=0.5)
    ax.axvline(0, color=PALETTE["black"], linewidth=0.5)
    ax.set_xlabel("$t$")
    ax.set_title(name)
    ax.legend(loc="best")
    return ax


def _layer_role(index: int, n_layers: int) -> str:
    if index == 0:
        return "input"
    if index == n_layers - 1:
        return "output"
    return "hidden"


def plot_network(
    layer_sizes: Sequence[int],
    ax: Axes | None = None,
    max_nodes: int = 10,
    show_labels: bool = True,
) -> Axes:
    """Draw a fully connected network: one column of nodes per layer, every pair of
    nodes in neighbouring layers joined by an edge.

    Nodes are circles (``matplotlib.patches.Circle``), coloured by role (input
    sky blue, hidden green, output orange); the edges form one
    ``LineCollection``. Under each column a caption names the layer and its size.
    A layer wider than ``max_nodes`` is drawn with ``max_nodes`` nodes and a
    vertical ellipsis, its caption still giving the true size.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first and output last, e.g. ``[2, 5, 1]``.
    ax : matplotlib Axes, optional
    max_nodes : int, default 10
        Most nodes drawn per layer.
    show_labels : bool, default True
        Write $x_i$ inside the input nodes and $\\hat y$ inside a single output node.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> ax = plot_network([2, 3, 1])
    >>> len(ax.patches), len(ax.collections[0].get_segments())
    (6, 9)
    """
    sizes = list(layer_sizes) if not isinstance(layer_sizes, (str, bytes)) else None
    if sizes is None or len(sizes) < 2:
        raise ValueError(
            f"layer_sizes must be a sequence of at least two layer sizes (input and output), "
            f"got {layer_sizes!r}"
        )
    for k, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer_sizes[{k}] must be a positive integer, got {n!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 2:
        raise ValueError(f"max_nodes must be an integer >= 2, got {max_nodes!r}")

    ax = _get_ax(ax)
    n_layers = len(sizes)
    drawn = [min(int(n), max_nodes) for n in sizes]
    tallest = max(drawn)
    radius = 0.22
    positions = []  # positions[k] = array (drawn[k], 2) of node centres
    for k, m in enumerate(drawn):
        ys = (np.arange(m) - (m - 1) / 2.0)[::-1]
        positions.append(np.column_stack([np.full(m, 1.6 * k), ys]))

    segments = [
        [tuple(a), tuple(b)]
        for k in range(n_layers - 1)
        for a in positions[k]
        for b in positions[k + 1]
    ]
    edges = LineCollection(segments, colors=PALETTE["black"], linewidths=0.6, alpha=0.45, zorder=1)
    edges.set_gid("edges")
    ax.add_collection(edges)

    for k, pos in enumerate(positions):
        role = _layer_role(k, n_layers)
        for i, (cx, cy) in enumerate(pos):
            node = Circle(
                (cx, cy),
                radius,
                facecolor=LAYER_COLORS[role],
                edgecolor=PALETTE["black"],
                linewidth=1.0,
                zorder=2,
            )
            node.set_gid(f"{role}-node")
            ax.add_patch(node)
            if show_labels and role == "input" and sizes[k] <= max_nodes:
                ax.text(cx, cy, f"$x_{{{i + 1}}}$", ha="center", va="center", fontsize=9, zorder=3)
            if show_labels and role == "output" and sizes[k] == 1:
                ax.text(cx, cy, r"$\hat{y}$", ha="center", va="center", fontsize=10, zorder=3)
        if sizes[k] > max_nodes:
            ax.text(pos[0, 0] + 0.42, 0.0, r"$\vdots$", ha="center", va="center", fontsize=14)
        if role == "hidden":
            caption = f"hidden {k}\n({sizes[k]})" if n_layers > 3 else f"hidden\n({sizes[k]})"
        else:
            caption = f"{role}\n({sizes[k]})"
        ax.text(pos[0, 0], -(tallest - 1) / 2.0 - 0.75, caption, ha="center", va="top", fontsize=10)

    ax.set_xlim(-0.6, 1.6 * (n_layers - 1) + 0.6)
    ax.set_ylim(-(tallest - 1) / 2.0 - 1.6, (tallest - 1) / 2.0 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_true_vs_predicted(X, y, y_pred, ax: Axes | None = None) -> Axes:
    """The lecture's check of a classifier: true class by colour, predicted class by marker.

    Each point is filled with the colour of its **true** class (orange 0, blue 1)
    and drawn with the marker of its **predicted** class (circle 0, triangle 1).
    Misclassified points are also ringed with a large hollow black square, so
    errors stand out without any red/green contrast. The legend counts them.

    Parameters
    ----------
    X : array_like, shape (n_samples, 2)
    y : array_like, shape (n_samples,)
        True labels 0/1.
    y_pred : array_like, shape (n_samples,)
        Predicted labels 0/1.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> ax = plot_true_vs_predicted([[0, 0], [1, 1], [2, 2]], [0, 1, 1], [0, 1, 0])
    >>> [c.get_gid() for c in ax.collections][-1], len(ax.collections[-1].get_offsets())
    ('misclassified', 1)
    """
    X = _check_X2d(X)
    y = _check_labels(y, X.shape[0], "y")
    y_pred = _check_labels(y_pred, X.shape[0], "y_pred")
    ax = _get_ax(ax)
    for pred in np.unique(y_pred):
        for true in np.unique(y):
            mask = (y == true) & (y_pred == pred)
            if not mask.any():
                continue
            pts = ax.scatter(
                X[mask, 0],
                X[mask, 1],
                color=CLASS_COLORS[true],
                marker=CLASS_MARKERS[pred],
                edgecolors=PALETTE["black"],
                linewidths=0.4,
                s=22,
                zorder=2,
            )
            pts.set_gid(f"true{true}-pred{pred}")
    wrong = y != y_pred
    miss = ax.scatter(
        X[wrong, 0],
        X[wrong, 1],
        facecolors="none",
        edgecolors=PALETTE["black"],
        marker="s",
        s=90,
        linewidths=1.2,
        zorder=3,
    )
    miss.set_gid("misclassified")

    from matplotlib.lines import Line2D

    handles = (
        [
            Line2D(
                [],
                [],
                linestyle="",
                marker="s",
                markersize=8,
                color=CLASS_COLORS[c],
                label=f"true y = {c}",
            )
            for c in np.unique(y)
        ]
        + [
            Line2D(
                [],
                [],
                linestyle="",
                marker=CLASS_MARKERS[c],
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=PALETTE["black"],
                label=f"predicted {c}",
            )
            for c in np.unique(y_pred)
        ]
        + [
            Line2D(
                [],
                [],
                linestyle="",
                marker="s",
                markersize=10,
                markerfacecolor="none",
                markeredgecolor=PALETTE["black"],
                label=f"misclassified ({int(wrong.sum())})",
            )
        ]
    )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"accuracy {np.mean(~wrong):.3f}")
    return ax
