"""Reading a pilot workspace: config, table schema, loading and validation, calendar, privacy,
trust boundary."""
