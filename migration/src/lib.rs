//! Schema migrations, run at start-up.
