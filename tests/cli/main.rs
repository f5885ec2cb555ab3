//! Integration tests of the `pave` binary: one test binary, one module per concern, every test
//! going through the `Test` builder in `support.rs` (scrubbed environment, fixture catalogs,
//! real git to check what was committed).
#![allow(clippy::unwrap_used)]
// clippy.toml keeps std::fs inside src/fs/; the tests build their fixtures and read results
// with std::fs on purpose, independently of the code under test.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod builtin;
mod catalog;
mod check;
mod cli;
mod diff;
mod errors;
mod fixtures;
mod fleet;
mod git;
mod git_server;
mod github_contract;
mod github_server;
mod history;
mod new;
mod pty;
mod publish;
mod pull_requests;
mod remote;
mod remote_fleet;
mod remote_fleet_access;
mod remote_fleet_faults;
mod remote_fleet_fixture;
mod render;
mod rollout;
mod rollout_api;
mod safety;
mod sandbox;
mod ssh_server;
mod support;
mod upgrade;
mod upgrade_bugs;
mod upgrade_props;
