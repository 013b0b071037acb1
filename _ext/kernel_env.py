"""Sphinx extension: the environment the notebook kernels of the book run in.

The kernels that execute the chapters inherit the environment of the build, so
two settings are made here, before any notebook runs, for this build process and
its kernels only:

* Figures inline. ``make`` exports ``MPLBACKEND=Agg`` so that scripts and tests
  never open a window; with ``Agg`` forced, matplotlib figures are never
  displayed, so the pages would have no figures (and jupyter-cache would keep
  those empty outputs). ``MPLBACKEND`` is pointed at Jupyter's inline backend.
* One BLAS thread. The chapters multiply small matrices (a few hundred rows,
  2 to 10 columns), where a multi-threaded BLAS spends its time waking threads:
  measured on the 2-core course machine under load, scikit-learn's L-BFGS fit of
  the practical example took 34 s with the default threads and 1.7 s with one.
  ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` default to
  1; a value set by the caller is kept.
"""

import os

INLINE = "module://matplotlib_inline.backend_inline"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _kernel_environment(app, config):
    if os.environ.get("MPLBACKEND", INLINE) != INLINE:
        os.environ["MPLBACKEND"] = INLINE
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def setup(app):
    app.connect("config-inited", _kernel_environment)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
