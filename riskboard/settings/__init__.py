"""Settings modules: ``base`` (read from the environment) and ``test`` (the test suite)."""
