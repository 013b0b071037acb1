"""The instructors' subcommands of ``dlcourse``: release, collect, grade, report.

Run in the course folder (the one with ``nbgrader_config.py``)::

    dlcourse release 02_neuron
    dlcourse collect 02_neuron downloads/02_neuron.zip
    dlcourse grade 02_neuron --workers 2

The teaching package's command line (:mod:`dlcourse.cli`) finds these click commands through the
``dlcourse.commands`` entry points and passes its global options (``--course``, ``--output``)
in ``ctx.obj``; it never imports this package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .course import Course, find_course_root

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _course(ctx, db=None, timeout=None, kernel=None) -> Course:
    root = ctx.obj.get("course") if ctx.obj else None
    try:
        root = Path(root) if root else find_course_root()
        return Course(root, db_url=db, timeout=timeout, kernel_name=kernel,
                      output_root=ctx.obj.get("output") if ctx.obj else None)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(context_settings=CONTEXT)
@click.argument("assignments", nargs=-1)
@click.option("--db", help="Gradebook URL (default: nbgrader_config.py's, else SQLite "
                           "gradebook.db). PostgreSQL: postgresql+psycopg2://user:pw@host:port/db")
@click.pass_context
def release(ctx, assignments, db):
    """Make the student versions of ASSIGNMENTS (all when none given).

    Runs nbgrader generate_assignment --force: writes the release folder and records the
    assignment, its notebooks and tests in the gradebook.
    """
    from .release import release as do_release

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


@click.command(context_settings=CONTEXT)
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
    from .collect import collect as do_collect

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


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes of the local Dask cluster (each loads nbgrader once).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Grade on an existing Dask cluster instead of a local one; its workers run "
                   "`dask worker ... --preload dlgrade.cluster`.")
@click.option("--force", is_flag=True,
              help="Grade every submission again, not only new or changed ones.")
@click.option("--db", help="Gradebook URL, e.g. postgresql+psycopg2://user:pw@host:5432/db.")
@click.option("--shard", metavar="i/N",
              help="Grade only the i-th of N shares of the students (1-based), e.g. one "
                   "array job of a batch scheduler per share, sharing one gradebook.")
@click.option("--timeout", type=click.IntRange(min=1), help="Per-cell time limit in seconds.")
@click.option("--kernel", help="Kernel to run submissions with (Execute.kernel_name).")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
@click.pass_context
def grade(ctx, assignment, workers, scheduler, force, db, shard, timeout, kernel,
          no_progress):
    """Autograde, check and give feedback on every submission of ASSIGNMENT.

    Writes <output>/ASSIGNMENT/grades.csv, report.html, report.json and feedback/<student>.html.
    Exit status 0 when every submission was graded, 2 when some failed or need manual grading.
    """
    from .engine import grade_assignment, parse_shard

    course = _course(ctx, db=db, timeout=timeout, kernel=kernel)
    try:
        run = grade_assignment(course, assignment, workers=workers, force=force,
                               shard=parse_shard(shard), progress=not no_progress,
                               scheduler=scheduler)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{assignment}: {len(run.graded)} graded ({len(run.flagged)} need manual "
               f"grading), {len(run.failed)} failed, {len(run.skipped)} unchanged (skipped) "
               f"in {run.seconds:.1f} s")
    for key in ("grades", "html", "json", "feedback"):
        click.echo(f"  {key:9s} {run.outputs[key]}")
    sys.exit(2 if run.failed or run.flagged else 0)


@click.command(context_settings=CONTEXT)
@click.argument("assignment")
@click.option("--db", help="Gradebook URL (as given to grade).")
@click.pass_context
def report(ctx, assignment, db):
    """Rebuild grades.csv, report.html and report.json of ASSIGNMENT from the recorded results
    and the gradebook's current scores (after several hosts graded their shards, or after
    grading written answers by hand in nbgrader's formgrader)."""
    from .report import write_outputs

    course = _course(ctx, db=db)
    try:
        course.require_assignment(assignment)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for key, path in write_outputs(course, assignment).items():
        click.echo(f"  {key:9s} {path}")
