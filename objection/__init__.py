"""Objections to shared data (数据异议): raised, forwarded, answered or overdue, and tracked."""
