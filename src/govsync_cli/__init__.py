"""The operator CLI, `govsync`: needs only the govsync package and boto3 (a plain `pip install .`)."""
