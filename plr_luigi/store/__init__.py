"""Reading MLflow: the client and run listing, the cached run list, run decisions and
fingerprints, artifacts, safe unpickling."""
