"""The AWS wire protocols over the embedded bus: unchanged boto3 code and the AWS CLI work against it."""
