"""Tests of the printable report."""
