"""Sphinx extension: make the notebook kernels draw figures inline.

``make`` exports ``MPLBACKEND=Agg`` so that scripts and tests never open a
window. The kernels that execute the chapters inherit the environment of the
build, and with ``Agg`` forced, matplotlib figures are never displayed, so the
pages would have no figures (and jupyter-cache would keep those empty outputs).
Before any notebook runs, this extension points ``MPLBACKEND`` at the inline
backend Jupyter uses by default, for this build process and its kernels only.
"""

import os

INLINE = "module://matplotlib_inline.backend_inline"


def _use_inline_backend(app, config):
    if os.environ.get("MPLBACKEND", INLINE) != INLINE:
        os.environ["MPLBACKEND"] = INLINE


def setup(app):
    app.connect("config-inited", _use_inline_backend)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
