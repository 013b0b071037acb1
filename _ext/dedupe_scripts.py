"""Sphinx extension: drop repeated <script> entries on a page.

Sphinx 7.4 with sphinx-thebe emits the same inline script twice, which makes the
browser report ``Identifier 'THEBE_JS_URL' has already been declared`` on every
page. Keeping the first copy of each script fixes the console error.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = (str(script), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
