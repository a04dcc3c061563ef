"""Supervisors: cohorts, the cohort dashboard, trainee detail, exports,
item analysis and knowledge gain."""
