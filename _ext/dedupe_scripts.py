"""Sphinx extension: small fixes to the HTML the theme and myst-nb emit.

* Duplicate scripts. Sphinx 7.4 with sphinx-thebe emits the same inline script
  twice, which makes the browser report ``Identifier 'THEBE_JS_URL' has already
  been declared`` on every page. The two copies differ only in an empty file name
  (``None`` vs ``""``), so scripts are keyed by file name (empty for inline ones)
  and attributes, and the first copy of each is kept.
* Code toggles. myst-nb labels the ``<summary>`` of a ``hide-input`` cell
  "Toggle hidden content" while it shows "Show code cell source"; a name that
  differs from the visible label fails WCAG 2.5.3 (axe: label-content-name-mismatch).
  Dropping the aria-label lets the visible text be the accessible name.
"""

HIDDEN_TOGGLE = '<summary aria-label="Toggle hidden content">'


def _script_key(script):
    filename = getattr(script, "filename", script) or ""
    return str(filename), tuple(sorted(getattr(script, "attributes", {}).items()))


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        seen = set()
        unique = []
        for script in scripts:
            key = _script_key(script)
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique
    body = context.get("body")
    if body and HIDDEN_TOGGLE in body:
        context["body"] = body.replace(HIDDEN_TOGGLE, "<summary>")


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
