"""The public results database: bulk load + validation, provenance, read-only queries, the
privacy scan of public outputs. (Tables and columns are named in plr_luigi.study.schema.)"""
