"""The judge's text comparison with the package (dlgrade.judge_similarity): fairness and cost.

Prints, for every function of every independent correct answer (tests/independent), every
seeded mistake (tests/mistakes) and every solution notebook's answers, the share of its text
found in the package's text and its number of fingerprints, alone and with the submission's
functions it calls, and whether it is judged a copy (it must never be); then the same for the
package's source pasted with review 21f's changes (tests/submissions/pasted.py), graded
functions only; then what the comparison costs: the package's fingerprints built once, and the
judge's reading of one submission (``CodePolicy`` and ``copy_of`` of each graded function) with
the comparison and without it (its verdicts switched off in this process), as a ratio; with
``--grading N``, also real grading of N honest submissions of exercise 10, by plain
``nbgrader autograde`` with the project's config and by ``dlcourse grade``, once as it is and
once with the comparison switched off by a line in that course's ``nbgrader_config.py`` (the
process that grades reads it), in alternating rounds, as a ratio of the times measured in
this run.

Usage::

    python benchmarks/package_similarity.py [--all] [--repeat N] [--grading N]

``--all`` prints every honest function, not only those at 40 % or more.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from dlgrade import judge_similarity as js  # noqa: E402
from dlgrade.judge_code import CodePolicy  # noqa: E402
from dlgrade.judge_source import SourceIndex  # noqa: E402
from tests.independent import variants  # noqa: E402
from tests.submissions.pasted import VARIANTS, graded_functions, pasted_cells  # noqa: E402

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.name[:2].isdigit())


def honest_submissions():
    """(kind, assignment, [answer texts]) of every honest submission and seeded mistake."""
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", 4)
        yield "solution", assignment, [c.source for c in nb.cells if c.cell_type == "code"
                                       and c.metadata.get("nbgrader", {}).get("solution")]
        for name, answers in variants(assignment).items():
            yield f"independent {name}", assignment, list(answers.values())
        mistakes = importlib.import_module(f"tests.mistakes.ex{assignment}").MISTAKES
        for mistake in mistakes:
            yield f"mistake {mistake['why']}", assignment, [mistake["source"]]


def rows(kind, assignment, texts, only=None):
    submission = js.Submission(texts)
    seen = set()
    for node in submission.functions:
        if only is not None and node.name not in only or js.normalised(node) in seen:
            continue  # a function defined twice (pasted, then again in its cell) shown once
        seen.add(js.normalised(node))
        (alone, n_alone), called = submission.scores(node)
        verdict = submission.verdict(node)
        yield (kind, assignment, node.name, alone, n_alone, called, verdict)


def show(row):
    kind, assignment, name, alone, n_alone, called, verdict = row
    with_calls = f"{called[0]:5.2f} {called[1]:5d}" if called else "    -     -"
    judged = "COPY" if verdict else "-"
    return f"{kind[:34]:34s} {assignment:20s} {name[:30]:30s} {alone:5.2f} {n_alone:5d} " \
           f"{with_calls}  {judged}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="print every honest function")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best kept)")
    parser.add_argument("--grading", type=int, default=0, metavar="N",
                        help="also time nbgrader autograde of N honest submissions")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; threshold {js.THRESHOLD}, at least "
          f"{js.MIN_FINGERPRINTS} fingerprints; not compared: {', '.join(js.NOT_COMPARED)}")

    start = time.perf_counter()
    index = js.package_index()
    build = time.perf_counter() - start
    print(f"package fingerprints: {len(index.names)} functions, "
          f"{len(index.fingerprint.hashes)} fingerprints, built in {build:.2f} s (once per "
          "process)\n")

    header = f"{'submission':34s} {'assignment':20s} {'function':30s} share   fps  " \
             "with calls  judged"
    print("Honest answers and seeded mistakes (share and fingerprints of the function alone, "
          "then with the submission's functions it calls):")
    print(header)
    honest = [row for sub in honest_submissions() for row in rows(*sub)]
    for row in sorted(honest, key=lambda r: -max(r[3], r[5][0] if r[5] else 0)):
        if args.all or row[3] >= 0.4 or (row[5] and row[5][0] >= 0.4):
            print(show(row))
    judged = [row for row in honest if row[6]]
    big = [max((r[3] if r[4] >= js.MIN_FINGERPRINTS else 0),
               (r[5][0] if r[5] and r[5][1] >= js.MIN_FINGERPRINTS else 0)) for r in honest]
    print(f"{len(honest)} honest or mistaken functions, {len(judged)} judged a copy; highest "
          f"share of a text of {js.MIN_FINGERPRINTS}+ fingerprints: {max(big):.3f}\n")

    print("The package pasted with review 21f's changes (graded functions):")
    print(header)
    for assignment in ("04_activations", "05_backprop", "10_attention"):
        graded = set(graded_functions(assignment))
        for variant in VARIANTS:
            cells = list(pasted_cells(assignment, variant).values())
            for row in rows(f"pasted {variant}", assignment, cells, only=graded):
                print(show(row))
    print()

    print("Cost per submission (the judge's reading: CodePolicy, then copy_of of each graded "
          "function through SourceIndex.problem), package fingerprints built already:")
    submissions = [(assignment, texts) for kind, assignment, texts in honest_submissions()
                   if not kind.startswith("mistake")]
    graded = {a: graded_functions(a) for a in ASSIGNMENTS}

    def read_all():
        for assignment, texts in submissions:
            policy = CodePolicy(texts)
            index = SourceIndex(texts, {}, copy_of=policy.copy_of)
            for name in graded[assignment]:
                try:
                    index.problem(name)
                except LookupError:
                    pass
            policy.copied()

    def best(fn):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times) / len(submissions)

    with_check = best(read_all)
    verdict = js.Submission.verdict
    js.Submission.verdict = lambda self, node: None  # the comparison switched off
    try:
        without = best(read_all)
    finally:
        js.Submission.verdict = verdict
    print(f"{len(submissions)} honest submissions: {1000 * without:.1f} ms without the text "
          f"comparison, {1000 * with_check:.1f} ms with it (+{1000 * (with_check - without):.1f}"
          f" ms, ratio {with_check / without:.2f}); the package's fingerprints: "
          f"{build:.2f} s once per grading process")
    if args.grading:
        grading(args.grading, args.repeat)


#: a line of a benchmark course's nbgrader_config.py that switches the text comparison off
OFF = "import dlgrade.judge_similarity as _js\n_js.Submission.verdict = lambda self, node: None\n"


def grading(students: int, rounds: int) -> None:
    """Grading of ``students`` honest submissions with and without the comparison, in
    alternating rounds, both ways: plain ``nbgrader autograde`` with the project's config (N)
    and ``dlcourse grade --workers 1`` (G); prints seconds per submission and the ratios."""
    import shutil
    import tempfile

    from dlgrade.course import run_nbgrader
    from tests.submissions.attacks import notebook
    from tests.submissions.crafted import (
        dlcourse,
        make_course,
        project_config,
        sandbox_config,
        submit,
    )

    assignment = "10_attention"
    text = notebook(assignment)
    root = Path(tempfile.mkdtemp(prefix="package-similarity-"))
    courses = {}
    try:
        for path, config in (("N", project_config()), ("G", sandbox_config()[0])):
            for label, extra in (("with", ""), ("without", OFF)):
                course = make_course(root / f"{path}-{label}", assignments=(),
                                     extra_config=config + "\n" + extra,
                                     copy_from_repo=[assignment])
                for i in range(students):
                    submit(course, assignment, f"s{i:03d}", text)
                if path == "N":
                    run_nbgrader(course, "generate_assignment", assignment, "--force",
                                 "--log-level=WARN")
                else:
                    dlcourse("release", cwd=course)
                courses[path, label] = course

        def run(path, label):
            course = courses[path, label]
            if path == "N":
                run_nbgrader(course, "autograde", assignment, "--force", "--log-level=WARN")
            else:
                dlcourse("grade", assignment, "--workers", "1", "--no-progress", "--force",
                         cwd=course)

        for path in ("N", "G"):
            times = {"with": [], "without": []}
            for turn in range(rounds):
                order = ("with", "without") if turn % 2 == 0 else ("without", "with")
                for label in order:
                    start = time.perf_counter()
                    run(path, label)
                    times[label].append((time.perf_counter() - start) / students)
            with_check, without = min(times["with"]), min(times["without"])
            print(f"{path}: {students} honest submissions of {assignment}, best of {rounds} "
                  f"rounds (load average {os.getloadavg()[0]:.1f}): {without:.2f} s per "
                  f"submission without the text comparison, {with_check:.2f} s with it "
                  f"(ratio {with_check / without:.3f}; rounds with "
                  f"{[round(t, 2) for t in times['with']]}, without "
                  f"{[round(t, 2) for t in times['without']]})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
