//! The one DataFusion session builder. Every query zafra runs — a run's
//! checkpoints and outputs, `explain`, `diff`, `profile-sql`, the plan tests
//! and the sqllogictest suite — runs on a context built here, so a setting
//! is made once and applies everywhere.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};

/// What a session is built with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionSettings {
    /// `[limits] memory`: a spilling pool of this many bytes, shared by the
    /// consumers that hold memory ([`crate::memory::SharedSpillPool`]):
    /// sorts and aggregations spill to disk beyond their share. `None`:
    /// unbounded.
    pub memory_limit: Option<u64>,
}

/// The session configuration of every query.
///
/// Strings stay `Utf8` (not `Utf8View`) so outputs have the contract's
/// types; the one exception is the text of `sales`, registered as views
/// until the first checkpoint (`inputs::VIEW_TEXT_TABLES`). Join order is
/// the plan: the left side of every join is its hash table, built once and
/// shared by the partitions; the views write the small side first
/// (docs/SEMANTICS.md, "Plans"). The one view whose joins are partitioned
/// is planned by the checkpoints (`checkpoints::PARTITIONED_JOINS`).
/// `parse_float_as_decimal` stays off: it also turns integer literals into
/// decimals, making `(n + 1) / 2` a decimal division; the views write no
/// float literal (decimal constants are spelled `CAST('0.5' AS
/// DECIMAL(2, 1))`).
///
/// Partial aggregation is skipped as soon as its probe finds more than 10%
/// distinct groups (DataFusion's default: 80%): the per-document pass of
/// `val_sales_duplicate_keys` reduces its rows only to a third, and keeping
/// the partial step there hashed every document twice (BENCHMARKS.md, "The
/// duplicate-key pass without a 51M-key table").
///
/// Parquet scans leave filters to a filter over the decoded rows
/// (`pushdown_filters` off): measured over the whole run at scale 10 it
/// bought nothing (BENCHMARKS.md, "Where the time goes"). The one exception
/// is the sorted ranges of an output under a memory limit, each of which
/// keeps a share of a checkpoint (`pipeline::filtering_scans`).
///
/// With a memory limit, every sort reserves `limit / 256` (at most the
/// default 10 MiB) up front to merge its spills: the default per sort and
/// partition would exhaust small pools.
pub fn config(settings: SessionSettings) -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_information_schema(false)
        .set_bool("datafusion.sql_parser.map_string_types_to_utf8view", false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
        .set_bool("datafusion.execution.parquet.pushdown_filters", false)
        .set_bool("datafusion.optimizer.join_reordering", false)
        .set_bool("datafusion.optimizer.repartition_joins", false);
    let execution = &mut config.options_mut().execution;
    execution.coalesce_batches = true;
    execution.skip_partial_aggregation_probe_ratio_threshold = 0.1;
    if let Some(bytes) = settings.memory_limit {
        execution.sort_spill_reservation_bytes = usize::try_from(bytes / 256)
            .unwrap_or(1 << 20)
            .min(10 << 20);
    }
    config
}

/// A context for `engine`: embedded ([`context`]) or a Ballista cluster's
/// client ([`crate::cluster::client_context`]), with the same configuration.
pub async fn for_engine(
    settings: SessionSettings,
    engine: &crate::config::Engine,
) -> Result<SessionContext> {
    match engine {
        crate::config::Engine::Local => context(settings),
        crate::config::Engine::Cluster(cluster) => {
            crate::cluster::client_context(settings, cluster).await
        }
    }
}

/// A context with [`config`] and, with a memory limit, its spilling pool.
pub fn context(settings: SessionSettings) -> Result<SessionContext> {
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(bytes) = settings.memory_limit {
        let bytes = usize::try_from(bytes)
            .map_err(|_| Error::internal(format!("memory limit {bytes} does not fit usize")))?;
        runtime = runtime.with_memory_pool(Arc::new(crate::memory::SharedSpillPool::new(bytes)));
    }
    let runtime = runtime
        .build_arc()
        .map_err(|e| Error::internal_from("building the runtime", e))?;
    Ok(SessionContext::new_with_config_rt(
        config(settings),
        runtime,
    ))
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::MemoryLimit;

    use super::*;

    fn built(memory_limit: Option<u64>) -> (MemoryLimit, usize) {
        let ctx = context(SessionSettings { memory_limit }).unwrap();
        let limit = ctx.runtime_env().memory_pool.memory_limit();
        let reservation = ctx
            .copied_config()
            .options()
            .execution
            .sort_spill_reservation_bytes;
        (limit, reservation)
    }

    #[test]
    fn the_memory_limit_reaches_the_pool_and_the_sort_reservation() {
        let gib = 1u64 << 30;
        let (limit, reservation) = built(Some(gib));
        assert!(matches!(limit, MemoryLimit::Finite(n) if n == gib as usize));
        assert_eq!(reservation, (gib / 256).min(10 << 20) as usize);
        // A small pool gets a proportionally small reservation.
        let (limit, reservation) = built(Some(64 << 20));
        assert!(matches!(limit, MemoryLimit::Finite(n) if n == 64 << 20));
        assert_eq!(reservation, (64 << 20) / 256);
    }

    #[test]
    fn without_a_limit_the_pool_is_unbounded_and_the_reservation_default() {
        let (limit, reservation) = built(None);
        assert!(matches!(limit, MemoryLimit::Infinite));
        assert_eq!(
            reservation,
            SessionConfig::new()
                .options()
                .execution
                .sort_spill_reservation_bytes
        );
    }
}
