"""Realistic student mistakes, one module per assignment (``ex<assignment>.py``).

Each module defines ``MISTAKES``, a list of ``dict(function=..., why=..., source=...)`` where
``source`` replaces the whole solution cell of ``function`` (it may use ``np``), and
``PACKAGE_MODULES``, the ``dlcourse`` module holding the finished version of each function
(used to prove that importing it earns no points). ``tests/test_exercises.py`` grades every
mistake as a separate student and requires that it costs the points of its function only.
"""
