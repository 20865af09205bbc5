"""Who may see what: accounts, roles and their scope, the audit trail (a SQLite file beside the store)."""
