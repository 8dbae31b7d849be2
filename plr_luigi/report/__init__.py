"""Reports of a build: the extraction report and report.html."""
