"""Files written safely: atomic writes (temporary path, then rename), file digests, lock files."""
