//! V1 tests.
