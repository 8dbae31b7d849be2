"""Figure functions: each takes frames from plr_luigi.queries and returns a matplotlib Figure."""
