//! zafra: nightly client segmentation and campaign membership snapshots for
//! agribusiness distributors.
//!
//! Data flows one way: [`cli`] → [`config`] → [`inputs`] (files checked and
//! registered) → [`views`] (the SQL of `sql/`) → [`publish`] (Parquet files,
//! then the manifest). [`pipeline::run`] drives one run and returns a report.

pub mod checkpoints;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod demo;
pub mod diff;
pub mod encode;
pub mod error;
pub mod explain;
pub mod export;
pub mod generate;
pub mod inputs;
pub mod lease;
pub mod manifest;
pub mod memory;
pub mod outputs;
pub mod params;
pub mod pipeline;
pub mod preview;
pub mod publish;
pub mod render;
pub mod report;
pub mod scratch;
pub mod session;
pub mod snapshots;
pub mod storage;
pub mod telemetry;
pub mod values;
pub mod views;

pub use error::{Error, ExitStatus, Result};
pub use pipeline::{RunOptions, RunReport, run};
