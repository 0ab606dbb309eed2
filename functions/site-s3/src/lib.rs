//! S3 sink.
