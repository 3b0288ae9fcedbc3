"""The registry (system of record): models, repositories, migrations and the change feed."""
