"""The auditor's console at `/console`: search the audit log, see its patterns, review what
looks wrong, prove the log intact and export evidence, in a browser (server-rendered HTML)."""
