"""Crafted submissions (honest and hostile) and a tiny course for the grading tests."""
