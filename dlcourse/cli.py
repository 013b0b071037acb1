"""The ``dlcourse`` command: release, collect, grade and report assignments; self-check notebooks.

Instructors run, in the course folder (the one with ``nbgrader_config.py``)::

    dlcourse release 02_neuron
    dlcourse collect 02_neuron downloads/02_neuron.zip
    dlcourse grade 02_neuron --workers 2

Students run ``dlcourse check 02_neuron.ipynb`` to run the visible checks of their notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .grading.course import Course, find_course_root


def _course(ctx, db=None, timeout=None, kernel=None) -> Course:
    root = ctx.obj.get("course") if ctx.obj else None
    try:
        root = Path(root) if root else find_course_root()
        return Course(root, db_url=db, timeout=timeout, kernel_name=kernel,
                      output_root=ctx.obj.get("output") if ctx.obj else None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", type=click.Path(file_okay=False, exists=True),
              help="Course folder (holding nbgrader_config.py); default: the nearest one "
                   "at or above the current folder.")
@click.option("--output", type=click.Path(file_okay=False),
              help="Folder for the per-assignment outputs (default: <course>/grading).")
@click.pass_context
def main(ctx, course, output):
    """Grading and self-check tool of the Introduction to Deep Learning course."""
    ctx.ensure_object(dict)
    ctx.obj["course"] = course
    ctx.obj["output"] = output


@main.command()
@click.argument("assignments", nargs=-1)
@click.option("--db", help="Gradebook URL (default: nbgrader_config.py's, else SQLite "
                           "gradebook.db). PostgreSQL: postgresql+psycopg2://user:pw@host:port/db")
@click.pass_context
def release(ctx, assignments, db):
    """Make the student versions of ASSIGNMENTS (all when none given).

    Runs nbgrader generate_assignment --force: writes the release folder and records the
    assignment, its notebooks and tests in the gradebook.
    """
    from .grading.release import release as do_release

    course = _course(ctx, db=db)
    try:
        results = do_release(course, assignments)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    failed = 0
    for name, res in results.items():
        if res.get("success"):
            click.echo(f"released {name} -> {course.release_dir.name}/{name}/")
        else:
            failed += 1
            click.echo(f"FAILED {name}:\n{res.get('log', '')}{res.get('error', '')}", err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Report what would be copied, copy nothing.")
@click.pass_context
def collect(ctx, assignment, source, dry_run):
    """Copy the submissions of ASSIGNMENT from SOURCE (a zip file or a folder).

    Recognised names: <student>_<assignment>.ipynb, <student>/<assignment>.ipynb and
    <student>/<assignment>/<assignment>.ipynb. Files matching no pattern and students with
    several files are reported and not copied (exit status 1).
    """
    from .grading.collect import collect as do_collect

    course = _course(ctx)
    try:
        res = do_collect(course, assignment, source, dry_run=dry_run)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    verb = "would copy" if dry_run else "copied"
    click.echo(f"{assignment}: {verb} {len(res.added)} new, {len(res.updated)} changed; "
               f"{len(res.unchanged)} unchanged; {len(res.ignored)} non-notebook files ignored")
    for name in res.unmatched:
        click.echo(f"  unmatched (not copied): {name}", err=True)
    for student, files in res.duplicates.items():
        click.echo(f"  several files for {student} (none copied): {', '.join(files)}", err=True)
    sys.exit(0 if res.ok else 1)


@main.command()
@click.argument("assignment")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel grading processes (each loads nbgrader once).")
@click.option("--force", is_flag=True,
              help="Grade every submission again, not only new or changed ones.")
@click.option("--db", help="Gradebook URL, e.g. postgresql+psycopg2://user:pw@host:5432/db.")
@click.option("--shard", metavar="i/N",
              help="Grade only the i-th of N shares of the students (1-based), for several "
                   "grading hosts sharing one gradebook.")
@click.option("--timeout", type=click.IntRange(min=1), help="Per-cell time limit in seconds.")
@click.option("--kernel", help="Kernel to run submissions with (Execute.kernel_name).")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
@click.pass_context
def grade(ctx, assignment, workers, force, db, shard, timeout, kernel, no_progress):
    """Autograde, check and give feedback on every submission of ASSIGNMENT.

    Writes <output>/ASSIGNMENT/grades.csv, report.html, report.json and feedback/<student>.html.
    Exit status 0 when every submission was graded, 2 when some failed or need manual grading.
    """
    from .grading.engine import grade_assignment, parse_shard

    course = _course(ctx, db=db, timeout=timeout, kernel=kernel)
    try:
        run = grade_assignment(course, assignment, workers=workers, force=force,
                               shard=parse_shard(shard), progress=not no_progress)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{assignment}: {len(run.graded)} graded ({len(run.flagged)} need manual "
               f"grading), {len(run.failed)} failed, {len(run.skipped)} unchanged (skipped) "
               f"in {run.seconds:.1f} s")
    for key in ("grades", "html", "json", "feedback"):
        click.echo(f"  {key:9s} {run.outputs[key]}")
    sys.exit(2 if run.failed or run.flagged else 0)


@main.command()
@click.argument("assignment")
@click.option("--db", help="Gradebook URL (as given to grade).")
@click.pass_context
def report(ctx, assignment, db):
    """Rebuild grades.csv, report.html and report.json of ASSIGNMENT from the recorded results
    and the gradebook's current scores (after several hosts graded their shards, or after
    grading written answers by hand in nbgrader's formgrader)."""
    from .grading.report import write_outputs

    course = _course(ctx, db=db)
    try:
        course.check_assignment(assignment)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for key, path in write_outputs(course, assignment).items():
        click.echo(f"  {key:9s} {path}")


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False))
@click.option("--timeout", type=click.IntRange(min=1), default=120, show_default=True,
              help="Seconds allowed per cell.")
def check(notebook, timeout):
    """Run the visible checks of an exercise NOTEBOOK, one line per function.

    Exit status 0 when every function passes, 1 otherwise. Hidden tests run only at grading.
    """
    from .selfcheck import check_notebook

    try:
        report = check_notebook(notebook, timeout=timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(report.format())
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
