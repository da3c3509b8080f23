"""The registered "one things": forms and materials as data, validated at start; pure filling."""
