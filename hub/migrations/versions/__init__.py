"""The revisions, oldest first: `0001` creates the audit and consent tables."""
