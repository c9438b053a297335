//! Threaded tests.
