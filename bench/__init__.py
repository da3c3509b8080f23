"""`python -m bench`: the hub's fan-out measured against its physical limit (bench/README.md)."""
