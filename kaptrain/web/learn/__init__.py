"""The trainee's journey: catalog, modules, lessons, quizzes, vignettes,
evaluation, journal, progress and certificates."""
