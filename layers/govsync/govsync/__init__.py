"""govsync: model governance sync for Amazon SageMaker Model Registry."""

__version__ = "0.1.0"
