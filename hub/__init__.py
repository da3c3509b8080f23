"""One-Thing Hub: assembly — settings, the ASGI app, GraphQL over HTTP, the command line."""
