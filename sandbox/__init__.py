"""Simulated department services over real HTTP and SQL, for demos, tests and benchmarks."""
