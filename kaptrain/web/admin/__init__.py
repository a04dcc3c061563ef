"""Administration: users and roles, reset links, the audit log."""
