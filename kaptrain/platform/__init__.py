"""The platform under every feature: configuration, database, mail, files,
backup, logging, rate-limit storage, response headers and absolute URLs."""
