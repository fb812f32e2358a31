"""Discovery: read exactly what the checks need, in waves, into a Snapshot.

`discover` orders the reads into waves (`waves`); each service's reads sit with the IAM
actions they need: `network`, `prefix_lists`, `group_associations` and `shared_vpc` (EC2,
STS), `role` (IAM), `model` (SageMaker), `resource_policies` (S3, ECR). `snapshot` is what
they read into.
"""
