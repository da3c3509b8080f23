"""The GraphQL surface and the choke point every piece of subject data passes through."""
