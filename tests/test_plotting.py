"""Tests for dlcourse.plotting: what each helper draws, its colours, and its errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from dlcourse import plotting  # noqa: E402
from dlcourse.plotting import (  # noqa: E402
    PALETTE,
    plot_activation,
    plot_data,
    plot_decision_boundary,
    plot_loss_curve,
    plot_network,
    plot_true_vs_predicted,
)

PALETTE_RGBA = {tuple(np.round(mcolors.to_rgba(c), 6)) for c in PALETTE.values()}


def _in_palette(color) -> bool:
    rgba = np.round(mcolors.to_rgba(color), 6)
    rgba[3] = 1.0  # ignore transparency
    return tuple(rgba) in PALETTE_RGBA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def xor_like():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


def test_palette_is_okabe_ito_and_has_no_pure_red_or_green():
    assert len(PALETTE) == 8
    assert PALETTE["orange"].upper() == "#E69F00"
    assert PALETTE["blue"].upper() == "#0072B2"
    hexes = {c.upper() for c in PALETTE.values()}
    assert "#FF0000" not in hexes and "#00FF00" not in hexes and "#008000" not in hexes
    assert len(hexes) == 8, "palette colours must be distinct"


def test_use_course_style_cycles_through_the_palette():
    with matplotlib.rc_context():
        plotting.use_course_style()
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert all(_in_palette(c) for c in cycle)
        assert len(cycle) == len(PALETTE)


# ---------------------------------------------------------------- every helper


@pytest.mark.parametrize(
    "draw",
    [
        lambda ax, X, y: plot_data(X, y, ax=ax),
        lambda ax, X, y: plot_decision_boundary(
            lambda G: np.full(len(G), 0.3), X, y, ax=ax, resolution=10
        ),
        lambda ax, X, y: plot_loss_curve([3.0, 2.0, 1.0], ax=ax),
        lambda ax, X, y: plot_network([2, 3, 1], ax=ax),
        lambda ax, X, y: plot_true_vs_predicted(X, y, y, ax=ax),
    ],
    ids=["data", "boundary", "loss", "network", "true_vs_predicted"],
)
def test_helpers_draw_on_the_given_axes_and_return_it(draw, xor_like):
    fig, (ax_a, ax_b) = plt.subplots(1, 2)
    out = draw(ax_b, *xor_like)
    assert out is ax_b
    assert ax_b.has_data() or ax_b.patches or ax_b.texts
    assert not ax_a.has_data(), "a helper drew on an Axes it was not given"
    assert len(plt.get_fignums()) == 1, "a helper opened a new figure although ax was given"


def test_helpers_make_a_figure_when_ax_is_none(xor_like):
    ax = plot_data(*xor_like)
    assert ax.figure is not None and ax.has_data()


@pytest.mark.parametrize(
    "call",
    [
        lambda: plot_data([[0, 0]], [0], ax="not an axes"),
        lambda: plot_loss_curve([1.0], ax=42),
        lambda: plot_network([2, 1], ax=plt.figure()),
    ],
)
def test_ax_of_the_wrong_type_is_rejected(call):
    with pytest.raises(ValueError, match="ax"):
        call()


# ---------------------------------------------------------------- plot_data


def test_plot_data_colours_and_markers_by_class(xor_like):
    X, y = xor_like
    ax = plot_data(X, y)
    assert len(ax.collections) == 2
    counts = sorted(len(c.get_offsets()) for c in ax.collections)
    assert counts == sorted(np.bincount(y).tolist())
    colours = [mcolors.to_hex(c.get_facecolor()[0]).upper() for c in ax.collections]
    assert colours == [PALETTE["orange"], PALETTE["blue"]]
    # The offsets of the first collection are exactly the class-0 points.
    np.testing.assert_allclose(ax.collections[0].get_offsets(), X[y == 0])
    assert ax.collections[0].get_paths()[0] != ax.collections[1].get_paths()[0]


def test_plot_data_one_dimensional_regression_data():
    x = np.linspace(0, 1, 7)
    ax = plot_data(x, x**2)
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([x, x**2]))
    assert _in_palette(points.get_facecolor()[0])


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((4, 3)), [0, 1, 0, 1], r"X must have shape \(n_samples, 2\)"),
        (np.zeros((4, 2)), [0, 1, 0], r"y must have shape \(4,\)"),
        (np.zeros((2, 2)), [0.5, 1], "integer class labels"),
        (np.zeros((2, 2)), [-1, 1], "class labels between"),
        (np.array([[0.0, np.nan]]), [0], "finite"),
        (np.linspace(0, 1, 3), [1.0, 2.0], r"y must have shape \(3,\)"),
    ],
)
def test_plot_data_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        plot_data(X, y)


# ---------------------------------------------------------------- decision boundary


def _contour_sets(ax):
    return {c.get_gid(): c for c in ax.collections if isinstance(c, ContourSet)}


def test_decision_boundary_levels_and_the_half_line(xor_like):
    X, y = xor_like
    calls = []

    def predict_proba(G):
        calls.append(G.shape)
        return 1.0 / (1.0 + np.exp(-4.0 * G[:, 0]))  # boundary at x1 = 0

    ax = plot_decision_boundary(predict_proba, X, y, resolution=50)
    assert calls == [(2500, 2)], "the classifier must be evaluated once on the whole grid"
    sets = _contour_sets(ax)
    np.testing.assert_allclose(sets["probability"].levels, np.linspace(0, 1, 11))
    np.testing.assert_allclose(sets["boundary"].levels, [0.5])
    # The 0.5 line of this classifier is the vertical line x1 = 0.
    line_vertices = np.concatenate([p.vertices for p in sets["boundary"].get_paths()])
    np.testing.assert_allclose(line_vertices[:, 0], 0.0, atol=0.05)
    # The grid covers all the data.
    x_lo, x_hi = ax.get_xlim()
    assert x_lo < X[:, 0].min() and x_hi > X[:, 0].max()


def test_decision_boundary_accepts_sklearn_two_column_output(xor_like):
    X, y = xor_like

    def proba2(G):
        p = (G[:, 1] > 0.2).astype(float)
        return np.column_stack([1 - p, p])

    ax = plot_decision_boundary(proba2, X, y, resolution=40)
    verts = np.concatenate([p.vertices for p in _contour_sets(ax)["boundary"].get_paths()])
    assert np.all(np.abs(verts[:, 1] - 0.2) < 0.1)


def test_decision_boundary_without_a_crossing_draws_no_line(xor_like):
    X, y = xor_like
    ax = plot_decision_boundary(lambda G: np.full(len(G), 0.9), X, y, resolution=20)
    assert "boundary" not in _contour_sets(ax)
    assert "probability" in _contour_sets(ax)


def test_decision_boundary_colour_map_runs_from_orange_to_blue(xor_like):
    X, y = xor_like
    ax = plot_decision_boundary(lambda G: np.full(len(G), 0.3), X, y, resolution=10)
    cmap = _contour_sets(ax)["probability"].get_cmap()
    assert mcolors.to_hex(cmap(0.0)).upper() == PALETTE["orange"]
    assert mcolors.to_hex(cmap(1.0)).upper() == PALETTE["blue"]


def test_decision_boundary_extent_sets_the_shaded_area(xor_like):
    X, y = xor_like
    seen = []

    def predict_proba(G):
        seen.append((G.min(axis=0), G.max(axis=0)))
        return np.full(len(G), 0.5)

    ax = plot_decision_boundary(predict_proba, X, y, resolution=11, extent=(-3, 2, -1, 4))
    np.testing.assert_allclose(seen[0][0], [-3, -1])
    np.testing.assert_allclose(seen[0][1], [2, 4])
    assert ax.get_xlim() == (-3, 2) and ax.get_ylim() == (-1, 4)
    with pytest.raises(ValueError, match="extent must be"):
        plot_decision_boundary(predict_proba, X, y, extent=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="extent must be"):
        plot_decision_boundary(predict_proba, X, y, extent=(0, 1, 0))


@pytest.mark.parametrize(
    "predict_proba, resolution, match",
    [
        (lambda G: np.zeros(3), 20, r"predict_proba must return shape \(400,\)"),
        (lambda G: np.full(len(G), 1.5), 20, "between 0 and 1"),
        ("not callable", 20, "predict_proba must be a function"),
        (lambda G: np.zeros(len(G)), 1, "resolution must be an integer >= 2"),
        (lambda G: np.zeros(len(G)), 2.5, "resolution must be an integer"),
    ],
)
def test_decision_boundary_bad_input(predict_proba, resolution, match, xor_like):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(predict_proba, *xor_like, resolution=resolution)


# ---------------------------------------------------------------- loss curve


def test_loss_curve_data_labels_and_palette_colours():
    ax = plot_loss_curve([4.0, 2.0, 1.0], label="lr = 0.1")
    plot_loss_curve([5.0, 5.0, 5.0, 5.0], ax=ax, label="lr = 0.001")
    first, second = ax.get_lines()
    np.testing.assert_allclose(first.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(first.get_ydata(), [4, 2, 1])
    assert len(second.get_xdata()) == 4
    assert _in_palette(first.get_color()) and _in_palette(second.get_color())
    assert first.get_color() != second.get_color(), "two runs on one axes must differ in colour"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lr = 0.1", "lr = 0.001"]


def test_loss_curve_without_label_has_no_legend():
    assert plot_loss_curve([1.0, 0.5]).get_legend() is None


@pytest.mark.parametrize("losses", [[], [[1.0, 2.0]], ["a", "b"], 3.0])
def test_loss_curve_bad_input(losses):
    with pytest.raises(ValueError, match="losses"):
        plot_loss_curve(losses)


# ---------------------------------------------------------------- network diagram


@pytest.mark.parametrize("sizes", [[2, 1], [2, 5, 1], [3, 4, 4, 2], [1, 1, 1, 1, 1]])
def test_network_draws_every_node_and_every_edge(sizes):
    ax = plot_network(sizes)
    nodes = [p for p in ax.patches if p.get_gid().endswith("-node")]
    assert len(nodes) == sum(sizes)
    (edges,) = [c for c in ax.collections if c.get_gid() == "edges"]
    n_edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    assert len(edges.get_segments()) == n_edges
    roles = [p.get_gid() for p in nodes]
    assert roles.count("input-node") == sizes[0]
    assert roles.count("output-node") == sizes[-1]
    assert roles.count("hidden-node") == sum(sizes[1:-1])
    assert all(_in_palette(p.get_facecolor()) for p in nodes)


def test_network_edges_join_neighbouring_layers_only():
    ax = plot_network([2, 3, 1])
    (edges,) = [c for c in ax.collections if c.get_gid() == "edges"]
    layer_x = sorted({round(p.center[0], 6) for p in ax.patches})
    for (x0, _), (x1, _) in edges.get_segments():
        assert layer_x.index(round(x1, 6)) - layer_x.index(round(x0, 6)) == 1


def test_network_captions_name_the_layers():
    ax = plot_network([2, 5, 1])
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "input\n(2)" in texts and "hidden\n(5)" in texts and "output\n(1)" in texts
    ax = plot_network([2, 4, 3, 1])
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "hidden 1\n(4)" in texts and "hidden 2\n(3)" in texts


def test_network_wide_layers_are_truncated_but_captioned_with_their_size():
    ax = plot_network([784, 16, 10], max_nodes=8)
    assert len(ax.patches) == 8 + 8 + 8
    assert any("(784)" in t.get_text() for t in ax.texts)
    assert any(r"\vdots" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize(
    "sizes, match",
    [
        ([3], "at least two"),
        ([], "at least two"),
        ([2, 0, 1], r"layer_sizes\[1\] must be a positive integer"),
        ([2, 2.5, 1], r"layer_sizes\[1\]"),
        ("21", "at least two"),
    ],
)
def test_network_bad_input(sizes, match):
    with pytest.raises(ValueError, match=match):
        plot_network(sizes)


# ---------------------------------------------------------------- true vs predicted


def test_true_vs_predicted_marks_exactly_the_misclassified_points(xor_like):
    X, y = xor_like
    y_pred = y.copy()
    flipped = np.array([0, 5, 17])
    y_pred[flipped] = 1 - y_pred[flipped]
    ax = plot_true_vs_predicted(X, y, y_pred)
    by_gid = {c.get_gid(): c for c in ax.collections}
    np.testing.assert_allclose(by_gid["misclassified"].get_offsets(), X[flipped])
    # Misclassified rings are black outlines, not a colour contrast.
    assert mcolors.to_hex(by_gid["misclassified"].get_edgecolor()[0]) == "#000000"
    assert (
        len(by_gid["misclassified"].get_facecolor()) == 0
        or by_gid["misclassified"].get_facecolor()[0][3] == 0
    )
    # Every point is drawn once, coloured by its true class.
    drawn = sum(len(c.get_offsets()) for g, c in by_gid.items() if g != "misclassified")
    assert drawn == len(X)
    for gid, coll in by_gid.items():
        if gid == "misclassified":
            continue
        true = int(gid[4])
        assert mcolors.to_hex(coll.get_facecolor()[0]).upper() == plotting.CLASS_COLORS[true]
    assert "misclassified (3)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"{np.mean(y == y_pred):.3f}" in ax.get_title()


def test_true_vs_predicted_marker_follows_the_prediction(xor_like):
    X, y = xor_like
    ax = plot_true_vs_predicted(X, y, 1 - y)
    by_gid = {c.get_gid(): c for c in ax.collections}
    assert "true0-pred1" in by_gid and "true1-pred0" in by_gid
    assert "true0-pred0" not in by_gid
    path_pred0 = by_gid["true1-pred0"].get_paths()[0].vertices
    path_pred1 = by_gid["true0-pred1"].get_paths()[0].vertices
    assert path_pred0.shape != path_pred1.shape or not np.allclose(path_pred0, path_pred1)
    assert len(by_gid["misclassified"].get_offsets()) == len(X)


def test_true_vs_predicted_bad_input(xor_like):
    X, y = xor_like
    with pytest.raises(ValueError, match=r"y_pred must have shape \(60,\)"):
        plot_true_vs_predicted(X, y, y[:-1])
    with pytest.raises(ValueError, match="y_pred must hold integer"):
        plot_true_vs_predicted(X, y, y + 0.5)


# ---------------------------------------------------------------- activation plots


def test_plot_activation_draws_function_and_derivative_from_the_registries():
    from dlcourse import activations

    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]:
        ax = plot_activation(name)
        f_line, grad_line = ax.get_lines()[:2]
        t = f_line.get_xdata()
        f, f_grad = activations.get_activation(name)
        np.testing.assert_allclose(f_line.get_ydata(), f(t))
        np.testing.assert_allclose(grad_line.get_ydata(), f_grad(t))
        assert _in_palette(f_line.get_color()) and _in_palette(grad_line.get_color())
        assert f_line.get_linestyle() != grad_line.get_linestyle()
        assert ax.get_title() == name
        plt.close("all")


def test_plot_activation_bad_input():
    with pytest.raises(ValueError, match="softplus"):
        plot_activation("softplus")
    with pytest.raises(ValueError, match="name must be"):
        plot_activation(3)
    with pytest.raises(ValueError, match="t_range"):
        plot_activation("relu", t_range=(1, -1))
