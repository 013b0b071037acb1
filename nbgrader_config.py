"""nbgrader configuration of the course (used by `nbgrader` and by `dlcourse grade`)."""

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "intro-deep-learning"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Set Execute.* only: it silently overrides ExecutePreprocessor.*.
c.Execute.timeout = 60
# Deleted test cells are otherwise not restored (and nothing is logged).
c.OverwriteCells.add_missing_cells = True
# Grading sandbox (dlgrade.sandbox): every kernel nbgrader starts runs isolated (private
# filesystem view without solutions/, gradebook, other students; no network; memory, CPU
# and process caps; unprivileged uid) and is forked from a pre-imported server for speed.
# DLCOURSE_SANDBOX=0 switches the isolation off (trusted notebooks only).
from dlgrade.sandbox import configure_nbgrader  # noqa: E402

configure_nbgrader(c)

# Plain `nbgrader autograde` / `generate_feedback` get the same protections as `dlcourse grade`:
# every locked cell (tests, their points, type and metadata) is rebuilt from the gradebook's
# copy, and feedback never shows hidden test code, not even in a failing assert's traceback.
from dlgrade.feedback import FEEDBACK_PREPROCESSORS  # noqa: E402
from dlgrade.sanitize import SANITIZE_PREPROCESSORS  # noqa: E402

c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS

# Submitted folders are untrusted data (dlgrade.safe_files): before nbgrader copies a
# submission into autograded/ (or an autograded folder into feedback/), links, hard links,
# pipes, devices, files not on the allow-list and files over the size limits are removed and
# logged; feedback/ keeps the rendered pages only.
from dlgrade.safe_files import install as refuse_unsafe_files  # noqa: E402

refuse_unsafe_files(c)

# Student content runs no script in any page (dlgrade.html_safety): feedback pages and
# formgrader render Markdown and outputs cleaned (no raw HTML, JavaScript or SVG from a
# submission); feedback pages also carry a strict Content-Security-Policy, and a formgrader
# server started with `jupyter server --config=nbgrader_config.py` the strictest one
# formgrader's own inline scripts work under.
from dlgrade.html_safety import install as clean_pages  # noqa: E402

clean_pages(c)

# Tests run in the grading process, not in the student's kernel (dlgrade.judge): the kernel
# only runs the student's cells and answers the tests' calls of the student's functions over a
# narrow channel; hidden tests never enter it. DLCOURSE_JUDGE=0 runs tests in the kernel.
from dlgrade.judge import install as install_judge  # noqa: E402

install_judge(c)

# What a kernel sends the grading process is bounded (dlgrade.kernel_channels): a message part
# over DLCOURSE_KERNEL_MAX_MESSAGE, a message of more parts than the protocol uses, a broken
# connection or a kernel that no longer answers after a cell timed out stops that notebook
# with the reason, instead of exhausting the grader's memory or waiting out every cell.
from dlgrade.kernel_channels import install as bound_kernel_channels  # noqa: E402

bound_kernel_channels(c)
# ... and a memory cap on the grading process itself (dlgrade.grader_memory,
# DLCOURSE_GRADER_MEMORY, default 2G more than it holds when it starts grading).
c.JudgedExecute.cap_memory = True
