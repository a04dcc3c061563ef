"""People and their accounts: sign-in, MFA and passkeys, sessions, registration,
cohort membership, access decisions, the audit log and a person's own data."""
