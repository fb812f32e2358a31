"""State in the guardrail's DynamoDB table: checked jobs, leases and the VPC lock."""
