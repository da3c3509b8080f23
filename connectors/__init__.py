"""Department connectors: one protocol, REST and SQL transports, declared in configuration."""
