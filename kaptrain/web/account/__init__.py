"""A person's own account: download all their data, delete the account."""
