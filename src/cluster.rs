//! The cluster engine (`[engine] kind = "ballista"`): the client session a
//! run's queries go through, and the scheduler and executor processes that
//! `zafra cluster` starts. Both processes are Apache DataFusion Ballista's own
//! (its library crates), set up with zafra's object stores: every node
//! builds an `s3://` store from its own `AWS_*` environment, so no secret
//! travels with a query or lands in a log.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use object_store::ObjectStore;
use url::Url;

use crate::config::ClusterEngine;
use crate::error::{Error, Result};
use crate::session::SessionSettings;

/// Object stores by URL, as every node of a cluster resolves them: the local
/// file system for `file://`, and for `s3://bucket` a store built on first
/// use from this process's `AWS_*` variables (the same builder as the job's
/// own storage roots).
#[derive(Debug, Default)]
pub struct EnvStores {
    known: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for EnvStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        match (url.scheme(), url.host_str()) {
            ("s3", Some(bucket)) if !bucket.is_empty() => {
                let store: Arc<dyn ObjectStore> = Arc::new(
                    crate::storage::s3_store(bucket)
                        .map_err(|e| DataFusionError::ObjectStore(Box::new(e)))?,
                );
                self.known.register_store(url, Arc::clone(&store));
                Ok(store)
            }
            _ => self.known.get_store(url),
        }
    }
}

/// A session whose queries run on the Ballista cluster at
/// `cluster.scheduler`, with zafra's session configuration (the same
/// settings as the embedded engine: decimal, string and null semantics are
/// DataFusion's on both). Connecting is lazy: an unreachable scheduler shows
/// at the first query, after `connect_timeout_secs`.
pub async fn client_context(
    settings: SessionSettings,
    cluster: &ClusterEngine,
) -> Result<SessionContext> {
    let timeout = cluster.connect_timeout_secs.to_string();
    // Three of Ballista 55's defaults are turned off, none changes a result:
    // - the adaptive planner (AQE): a task of a stage under a UNION reports
    //   one more operator's metrics than its stage has, the scheduler
    //   refuses the task's status and the job never ends; the static
    //   planner runs the plan the scheduler's DataFusion chose, cut into
    //   stages at its exchanges;
    // - dynamic filters (a TopK's threshold, a join's build-side bounds):
    //   state shared between operators of one process, which the
    //   operators of different stages and processes cannot share;
    // - a UNION of inputs partitioned alike becoming an InterleaveExec:
    //   the scheduler cuts the plan into stages under it, the stages'
    //   readers do not declare that partitioning, and the InterleaveExec
    //   cannot be rebuilt over them ("new children can not be
    //   interleaved"; `int_memberships` planned from the views, since
    //   `int_client_figures` joins its grid as the probe side and so keeps
    //   the clients' hash partitioning); a plain UNION reads each input's
    //   partitions in turn.
    let config = crate::session::config(settings)
        .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false)
        .set_bool("datafusion.optimizer.prefer_existing_union", true)
        .upgrade_for_ballista()
        .set_bool("ballista.planner.adaptive.enabled", false)
        .set_str("ballista.job.name", "zafra run")
        .set_str("ballista.client.grpc_connect_timeout_seconds", &timeout)
        .set_str("ballista.client.grpc_timeout_seconds", &timeout);
    let runtime = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(EnvStores::default()))
        .build_arc()
        .map_err(|e| Error::internal_from("building the cluster client's runtime", e))?;
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(&cluster.scheduler, state)
        .await
        .map_err(|source| Error::Cluster {
            scheduler: cluster.scheduler.clone(),
            context: "opening a session".to_string(),
            source,
        })
}

/// `zafra cluster scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub bind: SocketAddr,
    /// An executor silent for this long is declared lost; its tasks run again
    /// elsewhere.
    pub executor_timeout_secs: u64,
}

/// Runs a Ballista scheduler until the process is stopped.
pub async fn run_scheduler(options: SchedulerOptions) -> Result<()> {
    let failed = |what: &str, e: ballista_core::error::BallistaError| Error::ClusterProcess {
        what: format!("{what} (scheduler on {})", options.bind),
        source: Box::new(e),
    };
    let session_builder: ballista_scheduler::scheduler_server::SessionBuilder =
        Arc::new(|config| {
            let state = ballista_core::utils::default_session_builder(config)?;
            let runtime = RuntimeEnvBuilder::new()
                .with_object_store_registry(Arc::new(EnvStores::default()))
                .build_arc()?;
            Ok(SessionStateBuilder::new_from_existing(state)
                .with_runtime_env(runtime)
                .build())
        });
    let timeout = options.executor_timeout_secs.max(1);
    let mut config = ballista_scheduler::config::SchedulerConfig::default()
        .with_hostname(options.bind.ip().to_string())
        .with_port(options.bind.port())
        .with_override_session_builder(session_builder);
    config.bind_host = options.bind.ip().to_string();
    config.executor_timeout_seconds = timeout;
    config.expire_dead_executor_interval_seconds = timeout.div_ceil(4).max(1);
    let cluster = ballista_scheduler::cluster::BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| failed("setting up the cluster state", e))?;
    tracing::info!(bind = %options.bind, "scheduler starting");
    ballista_scheduler::scheduler_process::start_server(cluster, options.bind, Arc::new(config))
        .await
        .map_err(|e| failed("serving", e))
}

/// `zafra cluster executor`.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host and port.
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Where the Arrow Flight service (shuffle reads) listens.
    pub bind: SocketAddr,
    /// The port of the gRPC service the scheduler pushes tasks to.
    pub grpc_port: u16,
    /// The host name other nodes reach this executor by (default: the bind
    /// address).
    pub advertise: Option<String>,
    /// Shuffle files and spills.
    pub work_dir: std::path::PathBuf,
    /// Tasks run at once.
    pub slots: usize,
    /// The executor's memory pool; beyond it, sorts and aggregations spill.
    pub memory: Option<u64>,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_secs: u64,
}

/// Runs a Ballista executor until the process is stopped.
pub async fn run_executor(options: ExecutorOptions) -> Result<()> {
    std::fs::create_dir_all(&options.work_dir).map_err(|e| {
        Error::storage_io(
            format!("creating the work folder {}", options.work_dir.display()),
            e,
        )
    })?;
    let work_dir = options.work_dir.display().to_string();
    let temp_dir = work_dir.clone();
    let runtime: ballista_core::RuntimeProducer = Arc::new(move |_| {
        RuntimeEnvBuilder::new()
            .with_temp_file_path(temp_dir.clone())
            .with_object_store_registry(Arc::new(EnvStores::default()))
            .build_arc()
    });
    let config = ballista_executor::executor_process::ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: options.advertise.clone(),
        port: options.bind.port(),
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        scheduler_connect_timeout_seconds: 0,
        vcores: options.slots.max(1),
        work_dir: Some(work_dir),
        memory_pool_size: options.memory,
        executor_heartbeat_interval_seconds: options.heartbeat_secs.max(1),
        override_runtime_producer: Some(runtime),
        // Every function a default DataFusion session has: Ballista 55's own
        // executor registry leaves out the nested (list) functions, such as
        // `generate_series` and `range`, which the views use.
        override_function_registry: Some(Arc::new(
            ballista_core::registry::BallistaFunctionRegistry::from(
                &SessionStateBuilder::new().with_default_features().build(),
            ),
        )),
        ..Default::default()
    };
    tracing::info!(bind = %options.bind, scheduler = %format!("{}:{}", options.scheduler_host, options.scheduler_port), "executor starting");
    ballista_executor::executor_process::start_executor_process(Arc::new(config))
        .await
        .map_err(|e| Error::ClusterProcess {
            what: format!(
                "executor on {} (scheduler {}:{})",
                options.bind, options.scheduler_host, options.scheduler_port
            ),
            source: Box::new(e),
        })
}
