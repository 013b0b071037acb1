"""nbgrader configuration of the course (used by `nbgrader` and by `dlcourse grade`)."""

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "intro-deep-learning"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Set Execute.* only: it silently overrides ExecutePreprocessor.*.
c.Execute.timeout = 60
# Deleted test cells are otherwise not restored (and nothing is logged).
c.OverwriteCells.add_missing_cells = True
