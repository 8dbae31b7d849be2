"""The stages the task families are named by: Luigi's task namespaces (plr_luigi.tasks.base),
by which luigid's visualiser groups the families. Written out here, not read from the package,
so that a misspelt or new namespace fails the tests that compare with it."""

STAGES = frozenset({"extraction", "database", "interpretation", "figures", "tables", "numbers",
                    "report"})
# The one family without a namespace, as a user types it: `luigi --module plr_luigi ReproduceAll`.
ROOT_TASK = "ReproduceAll"
