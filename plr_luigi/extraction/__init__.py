"""One run -> its rows: metrics, per-run tables, anonymisation, the run's Parquet directory."""
