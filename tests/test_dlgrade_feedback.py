"""dlgrade.feedback's pure functions: which lines are hidden tests, and whether a page leaks them.

End to end (real feedback pages withheld or kept) in tests/test_grading.py."""

from dlgrade.feedback import find_leaks, hidden_line_numbers, hidden_lines, secret_lines

CELL = '''"""Check that f doubles."""
assert f(1) == 2
### BEGIN HIDDEN TESTS
assert f(21) == 42, "secret-case"
x=1
### END HIDDEN TESTS
assert f(0) == 0'''


def test_hidden_line_numbers_cover_the_delimiters_and_what_is_between():
    assert hidden_line_numbers(CELL) == {3, 4, 5, 6}
    assert hidden_line_numbers("assert f(1) == 2") == set()
    # an unclosed block hides the rest of the cell
    assert hidden_line_numbers("a = 1\n# BEGIN HIDDEN TESTS\nb = 2\nc = 3") == {2, 3, 4}


def test_hidden_lines_drop_delimiters_and_trivial_lines():
    assert hidden_lines(CELL) == ['assert f(21) == 42, "secret-case"']


def test_custom_delimiters():
    cell = "a = 1\n# <hidden>\nassert g(3) == 9\n# </hidden>"
    assert hidden_line_numbers(cell, "<hidden>", "</hidden>") == {2, 3, 4}


def test_find_leaks_sees_raw_escaped_and_coloured_text():
    line = 'assert f(21) == 42, "secret-case"'
    assert find_leaks("<pre>nothing here</pre>", [line]) == []
    assert find_leaks(f"<pre>{line}</pre>", [line]) == [line]
    escaped = "assert f(21) == 42, &quot;secret-case&quot;"
    assert find_leaks(f"<pre>{escaped}</pre>", [line]) == [line]
    coloured = "assert f(21) \x1b[1;31m==\x1b[0m 42, &quot;secret-case&quot;"
    assert find_leaks(coloured, [line]) == [line]


def test_secret_lines_are_those_students_cannot_read_elsewhere():
    hidden = ["assert f(21) == 42", "assert f(0) == 0"]
    assert secret_lines(hidden, ["release text: assert f(0) == 0"]) == ["assert f(21) == 42"]
