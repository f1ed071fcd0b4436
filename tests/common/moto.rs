//! A real S3 API server on loopback for tests: moto's server (from PyPI,
//! `pip install 'moto[server]'`, installed by `.ci/run`), started on a free
//! port with one bucket, `zafra`. Tests fail, never skip, without it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::ObjectStore;

pub const SECRET: &str = "s3cr3t-never-logged-0xC0FFEE";

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Process::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server must be installed: pip install 'moto[server]' (see tests/requirements.txt)");
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // CreateBucket: moto does not check signatures.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "PUT /zafra HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "create bucket: {response}"
    );
    Moto { child, endpoint }
}

pub fn s3_env(cmd: &mut assert_cmd::Command, endpoint: &str) {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint);
}

pub fn store(endpoint: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name("zafra")
            .with_access_key_id("testing")
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .build()
            .unwrap(),
    )
}

/// The same variables on a plain `std::process::Command`.
pub fn s3_env_std(cmd: &mut Process, endpoint: &str) {
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint);
}

/// Puts every file under `local` into `store` under `prefix`, keeping the
/// relative paths.
pub async fn upload(store: &Arc<dyn ObjectStore>, local: &std::path::Path, prefix: &str) {
    use object_store::{ObjectStoreExt, PutPayload};
    for rel in super::files_under(local) {
        let bytes = std::fs::read(local.join(&rel)).unwrap();
        let path = object_store::path::Path::from(format!("{prefix}/{rel}"));
        store.put(&path, PutPayload::from(bytes)).await.unwrap();
    }
}

/// Every object under `prefix`, sorted, as (path relative to `prefix`, bytes).
pub async fn listed(store: &Arc<dyn ObjectStore>, prefix: &str) -> Vec<(String, Vec<u8>)> {
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;
    let prefix_path = object_store::path::Path::from(prefix);
    let mut metas: Vec<_> = store.list(Some(&prefix_path)).try_collect().await.unwrap();
    metas.sort_by(|a, b| a.location.cmp(&b.location));
    let mut out = Vec::new();
    for meta in metas {
        let bytes = store
            .get(&meta.location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let rel = meta.location.as_ref()[prefix.len()..]
            .trim_start_matches('/')
            .to_string();
        out.push((rel, bytes.to_vec()));
    }
    out
}
