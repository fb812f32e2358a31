"""IR VPC Guard: checks that a SageMaker Inference Recommender job can run in its VPC."""

__version__ = "0.1.0"
