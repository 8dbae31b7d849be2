"""Figure functions: each takes frames from plr_luigi.database.queries and returns a
matplotlib Figure."""
