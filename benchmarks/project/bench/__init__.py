"""The benchmark project's host app: a user model, a room model and the peers' views."""
