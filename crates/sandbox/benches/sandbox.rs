//! The sandbox's speed and memory, beside moto in the same run: signed IAM calls per
//! second in-process (memory and `SQLite` stores) and over loopback (the sandbox's
//! `serve` and `moto_server`, the same SDK client), startup to first answer, resident
//! memory with 10,000 users, 30 concurrent labs sharing one state folder, and the
//! cost of one durable commit in a small and in a large world.
//! Plain `Instant` loops; run with `cargo bench -p awslab-sandbox --bench sandbox`.
#![expect(clippy::print_stdout, clippy::expect_used, reason = "benchmark")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox, wire};

const ACCOUNT: &str = "111122223333";

fn client(http: SharedHttpClient, endpoint: &str, key: &str, secret: &str) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key, secret, None, None, "bench"))
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn operator_client(
    sandbox: &Sandbox,
    http: SharedHttpClient,
    endpoint: &str,
) -> aws_sdk_iam::Client {
    let operator = sandbox.operator(ACCOUNT).expect("operator");
    client(
        http,
        endpoint,
        &operator.access_key_id,
        &operator.secret_access_key,
    )
}

/// CPU time this thread has run (`/proc/thread-self/schedstat`, Linux), so that a
/// loaded machine, which deschedules the benchmark, does not deflate the rate.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Calls per second of wall time and of this thread's CPU time (the second is wall
/// time where the CPU clock is missing).
#[derive(Debug, Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: f64,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:>8.0}/s of CPU time ({:>8.0}/s of wall time)",
            self.cpu, self.wall
        )
    }
}

/// Runs `call` for `seconds` of wall time after 50 warm-up calls.
async fn rate_of<F, Fut>(seconds: f64, mut call: F) -> Rate
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..50 {
        call().await;
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let mut calls = 0u32;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..16 {
            call().await;
        }
        calls += 16;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_time()) {
        (Some(before), Some(now)) => now.saturating_sub(before).as_secs_f64(),
        _ => wall,
    };
    Rate {
        wall: f64::from(calls) / wall,
        cpu: f64::from(calls) / cpu,
    }
}

async fn get_user(client: &aws_sdk_iam::Client, user: &str) {
    client
        .get_user()
        .user_name(user)
        .send()
        .await
        .expect("get user");
}

/// Signed `GetUser` calls per second over `seconds`.
async fn calls_per_second(client: &aws_sdk_iam::Client, user: &str, seconds: f64) -> Rate {
    rate_of(seconds, || get_user(client, user)).await
}

/// An HTTP client for splitting a call's cost: it converts the SDK's request to the
/// sandbox's wire form as the in-process client does, keeps the last one, and answers
/// either from the sandbox or with a fixed answer (the SDK's side alone).
#[derive(Debug, Clone)]
struct Splitter {
    sandbox: Sandbox,
    kept: Arc<Mutex<Option<wire::HttpRequest>>>,
    canned: Option<wire::HttpResponse>,
}

impl HttpClient for Splitter {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Splitter {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move {
            let uri: http::Uri = request.uri().parse().expect("uri");
            let mut headers: Vec<(String, String)> = request
                .headers()
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect();
            if let Some(authority) = uri.authority() {
                headers.push(("host".to_owned(), authority.to_string()));
            }
            let wire_request = wire::HttpRequest {
                method: request.method().to_owned(),
                path: uri.path().to_owned(),
                query: uri.query().unwrap_or_default().to_owned(),
                headers,
                body: request.body().bytes().expect("in-memory body").to_vec(),
                source_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
                spooled: None,
            };
            let answer = if let Some(canned) = &this.canned {
                canned.clone()
            } else {
                let answer = this.sandbox.handle(&wire_request);
                *this.kept.lock().expect("lock") = Some(wire_request);
                answer
            };
            let mut response = HttpResponse::new(
                StatusCode::try_from(answer.status).expect("status"),
                SdkBody::from(answer.body.clone()),
            );
            for (name, value) in answer.headers {
                response.headers_mut().append(name, value);
            }
            response
                .headers_mut()
                .insert("content-length", answer.body.len().to_string());
            Ok(response)
        })
    }
}

/// The in-process memory-store call split into its two sides, measured in one run:
/// the whole call through the SDK, the sandbox alone (`Sandbox::handle` on a request the
/// SDK signed, replayed), and the SDK alone (signing, sending to a connector that answers
/// at once with the sandbox's recorded answer, parsing).
async fn split(memory: &Sandbox, seconds: f64) {
    let kept = Arc::new(Mutex::new(None));
    let recorder = Splitter {
        sandbox: memory.clone(),
        kept: Arc::clone(&kept),
        canned: None,
    };
    let recording = operator_client(memory, SharedHttpClient::new(recorder), IN_PROCESS_ENDPOINT);
    get_user(&recording, "bench").await;
    let request = kept
        .lock()
        .expect("lock")
        .take()
        .expect("a recorded request");
    let answer = memory.handle(&request);
    assert_eq!(answer.status, 200, "the replayed request is allowed");
    // The whole call again, through the bench's own converter rather than the
    // sandbox's in-process client: whether the client's conversion costs anything.
    let converted = rate_of(seconds, || get_user(&recording, "bench")).await;
    println!("  SDK + sandbox, the bench's converter:         {converted}");
    let sandbox_alone = rate_of(seconds, || {
        let response = memory.handle(&request);
        std::hint::black_box(response);
        std::future::ready(())
    })
    .await;
    println!("  sandbox alone (Sandbox::handle, replayed):   {sandbox_alone}");
    // The sandbox alone again, on 2,000 requests the SDK signed one by one (as many
    // different requests as a whole call sends), each replayed in turn.
    let mut distinct = Vec::new();
    for _ in 0..2_000 {
        get_user(&recording, "bench").await;
        distinct.extend(kept.lock().expect("lock").take());
    }
    let mut next = 0;
    let sandbox_distinct = rate_of(seconds, || {
        let response = memory.handle(&distinct[next % distinct.len()]);
        next += 1;
        std::hint::black_box(response);
        std::future::ready(())
    })
    .await;
    println!("  sandbox alone, 2,000 distinct requests:      {sandbox_distinct}");
    let canned = Splitter {
        sandbox: memory.clone(),
        kept,
        canned: Some(answer),
    };
    let sdk = operator_client(memory, SharedHttpClient::new(canned), IN_PROCESS_ENDPOINT);
    let sdk_alone = calls_per_second(&sdk, "bench", seconds).await;
    println!("  SDK alone (fixed answer, no sandbox):         {sdk_alone}");
    println!(
        "  per call, CPU: sandbox {:.1} us + SDK {:.1} us",
        1e6 / sandbox_alone.cpu,
        1e6 / sdk_alone.cpu
    );
}

/// `sandbox.serve` on a free loopback port, as a task of the bench's runtime (its
/// answers on the blocking pool); stopped by [`Served::stop`].
struct Served {
    endpoint: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    async fn start(sandbox: &Sandbox) -> Self {
        let listener = awslab_sandbox::bind(0).await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let served = sandbox.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            served
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            endpoint,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn loopback_http() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn throughput() {
    let memory = Sandbox::in_memory();
    let in_process = operator_client(&memory, memory.http_client(), IN_PROCESS_ENDPOINT);
    in_process
        .create_user()
        .user_name("bench")
        .send()
        .await
        .expect("user");
    println!(
        "in-process, memory store:  {}",
        calls_per_second(&in_process, "bench", 3.0).await
    );
    split(&memory, 3.0).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let durable = Sandbox::open(dir.path()).expect("open");
    let on_disk = operator_client(&durable, durable.http_client(), IN_PROCESS_ENDPOINT);
    on_disk
        .create_user()
        .user_name("bench")
        .send()
        .await
        .expect("user");
    println!(
        "in-process, SQLite store:  {}",
        calls_per_second(&on_disk, "bench", 3.0).await
    );

    let served = Served::start(&memory).await;
    let over_loopback = operator_client(&memory, loopback_http(), &served.endpoint);
    println!(
        "loopback, sandbox serve:   {:>8.0}/s of wall time (the server runs on other threads)",
        calls_per_second(&over_loopback, "bench", 3.0).await.wall
    );
    served.stop().await;

    match awslab_testkit::MotoServer::start("sandbox bench").await {
        Some(moto) => {
            let admin = moto.admin();
            let moto_client = client(
                loopback_http(),
                moto.endpoint_url(),
                &admin.access_key_id,
                &admin.secret_access_key,
            );
            moto_client
                .create_user()
                .user_name("bench")
                .send()
                .await
                .expect("moto user");
            println!(
                "loopback, moto_server:     {:>8.0}/s of wall time (baseline)",
                calls_per_second(&moto_client, "bench", 3.0).await.wall
            );
        }
        None => println!("loopback, moto_server:     not installed, no baseline"),
    }
}

async fn startup() {
    let mut samples = Vec::new();
    let mut opens = Vec::new();
    for _ in 0..10 {
        let dir = tempfile::tempdir().expect("temp dir");
        let start = Instant::now();
        let sandbox = Sandbox::open(dir.path()).expect("open");
        opens.push(start.elapsed());
        let served = Served::start(&sandbox).await;
        let client = operator_client(&sandbox, loopback_http(), &served.endpoint);
        client.list_users().send().await.expect("first answer");
        samples.push(start.elapsed());
        served.stop().await;
    }
    samples.sort();
    opens.sort();
    println!(
        "open new state folder + bind + first signed answer over loopback: median {:?} (of 10), of which Sandbox::open {:?}",
        samples[5], opens[5]
    );
}

fn s3_client(sandbox: &Sandbox) -> aws_sdk_s3::Client {
    let operator = sandbox.operator(ACCOUNT).expect("operator");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            &operator.access_key_id,
            &operator.secret_access_key,
            None,
            None,
            "bench",
        ))
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .force_path_style(true)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Microseconds per call of `call`, over `rounds` calls: of wall time, and of this
/// thread's CPU time (which a loaded machine does not inflate; wall time where the CPU
/// clock is missing).
#[derive(Debug, Clone, Copy)]
struct PerCall {
    wall: f64,
    cpu: f64,
}

impl std::fmt::Display for PerCall {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:>8.0} us/call ({:>6.0} us of CPU)",
            self.wall, self.cpu
        )
    }
}

async fn micros_per_call<F, Fut>(rounds: u32, mut call: F) -> PerCall
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..10 {
        call().await;
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    for _ in 0..rounds {
        call().await;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_time()) {
        (Some(before), Some(now)) => now.saturating_sub(before).as_secs_f64(),
        _ => wall,
    };
    PerCall {
        wall: wall * 1e6 / f64::from(rounds),
        cpu: cpu * 1e6 / f64::from(rounds),
    }
}

/// One durable commit (`PutUserPolicy` on one user, `PutObject` of one small object)
/// in a world of 10 and of 10,000 users, and in a bucket of 10 and of 10,000 objects
/// (`AWSLAB_BENCH_LARGE` sets the large size: filling the one-document store of old
/// takes time in the square of it).
async fn commit_cost() {
    let large: u32 = std::env::var("AWSLAB_BENCH_LARGE")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10_000);
    #[expect(
        clippy::items_after_statements,
        reason = "the document next to its use"
    )]
    const DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    for users in [10, large] {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox::open(dir.path()).expect("open");
        let iam = operator_client(&sandbox, sandbox.http_client(), IN_PROCESS_ENDPOINT);
        let fill = Instant::now();
        for index in 0..users {
            iam.create_user()
                .user_name(format!("user-{index}"))
                .send()
                .await
                .expect("create user");
        }
        let fill = fill.elapsed();
        let micros = micros_per_call(200, || async {
            iam.put_user_policy()
                .user_name("user-0")
                .policy_name("p")
                .policy_document(DOCUMENT)
                .send()
                .await
                .expect("put user policy");
        })
        .await;
        println!(
            "SQLite commit, PutUserPolicy, {users:>6} users: {micros} (filling took {fill:.1?})"
        );
    }
    for objects in [10, large] {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox::open(dir.path()).expect("open");
        let s3 = s3_client(&sandbox);
        s3.create_bucket()
            .bucket("bench")
            .send()
            .await
            .expect("bucket");
        let fill = Instant::now();
        for index in 0..objects {
            s3.put_object()
                .bucket("bench")
                .key(format!("object-{index:05}"))
                .body(vec![b'x'; 100].into())
                .send()
                .await
                .expect("put object");
        }
        let fill = fill.elapsed();
        let micros = micros_per_call(200, || async {
            s3.put_object()
                .bucket("bench")
                .key("object-00000")
                .body(vec![b'y'; 100].into())
                .send()
                .await
                .expect("put object");
        })
        .await;
        println!(
            "SQLite commit, PutObject,   {objects:>6} objects in the bucket: {micros} (filling took {fill:.1?})"
        );
    }
}

/// A `PutObject` commit (an overwrite) by body size, in a bucket of 1,000 objects of
/// that size, then a `ListObjectsV2` of the bucket by a process that has not read it
/// yet: what choosing `state::blobs::IN_ROW_BYTES` weighs (a small body in its row
/// against in a blob, and what a listing then reads). `AWSLAB_BENCH_ONLY=sizes`.
async fn body_sizes() {
    for size in [100_usize, 1024, 4096, 16 * 1024, 64 * 1024] {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox::open(dir.path()).expect("open");
        let s3 = s3_client(&sandbox);
        s3.create_bucket()
            .bucket("bench")
            .send()
            .await
            .expect("bucket");
        for index in 0..1_000 {
            s3.put_object()
                .bucket("bench")
                .key(format!("object-{index:05}"))
                .body(vec![b'x'; size].into())
                .send()
                .await
                .expect("put object");
        }
        let micros = micros_per_call(200, || async {
            s3.put_object()
                .bucket("bench")
                .key("object-00000")
                .body(vec![b'y'; size].into())
                .send()
                .await
                .expect("put object");
        })
        .await;
        let list = Instant::now();
        let fresh = Sandbox::open(dir.path()).expect("open");
        let listed = s3_client(&fresh)
            .list_objects_v2()
            .bucket("bench")
            .send()
            .await
            .expect("list");
        assert_eq!(listed.key_count(), Some(1_000));
        let list = list.elapsed();
        println!(
            "SQLite commit, PutObject of {size:>6} bytes, 1,000 in the bucket: {micros}; a new opener's listing {list:.1?}"
        );
    }
}

async fn memory_with_users() {
    let baseline_kib = resident_kib();
    let sandbox = Sandbox::in_memory();
    let client = operator_client(&sandbox, sandbox.http_client(), IN_PROCESS_ENDPOINT);
    let start = Instant::now();
    for index in 0..10_000 {
        client
            .create_user()
            .user_name(format!("user-{index}"))
            .send()
            .await
            .expect("create user");
    }
    let elapsed = start.elapsed();
    let after = resident_kib();
    println!(
        "10,000 users (in-process CreateUser, {:.0}/s): resident {} MiB, {} MiB more than before",
        10_000.0 / elapsed.as_secs_f64(),
        after / 1024,
        after.saturating_sub(baseline_kib) / 1024
    );
}

async fn concurrent_labs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Sandbox::open(dir.path()).expect("open");
    let operator = first.operator(ACCOUNT).expect("operator");
    let start = Instant::now();
    let mut labs = Vec::new();
    for index in 0..30 {
        let sandbox = Sandbox::open(dir.path()).expect("open");
        let (key, secret) = (
            operator.access_key_id.clone(),
            operator.secret_access_key.clone(),
        );
        labs.push(tokio::spawn(async move {
            let iam = client(sandbox.http_client(), IN_PROCESS_ENDPOINT, &key, &secret);
            let name = format!("student-{index}");
            iam.create_user().user_name(&name).send().await.expect("user");
            let created = iam.create_access_key().user_name(&name).send().await.expect("key");
            let key_id = created.access_key().expect("key").access_key_id().to_owned();
            iam.put_user_policy().user_name(&name).policy_name("p").policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#).send().await.expect("policy");
            iam.delete_user_policy().user_name(&name).policy_name("p").send().await.expect("delete policy");
            iam.delete_access_key().user_name(&name).access_key_id(key_id).send().await.expect("delete key");
            iam.delete_user().user_name(&name).send().await.expect("delete user");
        }));
    }
    for lab in labs {
        lab.await.expect("lab");
    }
    let elapsed = start.elapsed();
    println!(
        "30 concurrent labs on one SQLite folder (30 connections, 6 writes each): {elapsed:?}, {:.0} commits/s",
        180.0 / elapsed.as_secs_f64()
    );
}

/// `BENCH_CALLS=N BENCH_MODE=full|sandbox|sdk|loopback`: set up as the split measurement does,
/// then make exactly N calls of one kind and nothing else, for an instruction counter
/// (`bench/sandbox_instructions.sh` runs it under callgrind with two values of N and
/// divides the difference).
async fn counted(mode: &str, calls: u32) {
    let memory = Sandbox::in_memory();
    let setup = operator_client(&memory, memory.http_client(), IN_PROCESS_ENDPOINT);
    setup
        .create_user()
        .user_name("bench")
        .send()
        .await
        .expect("user");
    let kept = Arc::new(Mutex::new(None));
    let recording = operator_client(
        &memory,
        SharedHttpClient::new(Splitter {
            sandbox: memory.clone(),
            kept: Arc::clone(&kept),
            canned: None,
        }),
        IN_PROCESS_ENDPOINT,
    );
    get_user(&recording, "bench").await;
    let request = kept
        .lock()
        .expect("lock")
        .take()
        .expect("a recorded request");
    let answer = memory.handle(&request);
    let sdk = operator_client(
        &memory,
        SharedHttpClient::new(Splitter {
            sandbox: memory.clone(),
            kept,
            canned: Some(answer),
        }),
        IN_PROCESS_ENDPOINT,
    );
    // One call of each kind first, so lazily built state is not counted.
    get_user(&setup, "bench").await;
    get_user(&sdk, "bench").await;
    std::hint::black_box(memory.handle(&request));
    if mode == "loopback" {
        // The whole call over loopback to `serve` on this runtime (its answers on the
        // blocking pool), as the throughput group's loopback row makes it.
        let served = Served::start(&memory).await;
        let over_loopback = operator_client(&memory, loopback_http(), &served.endpoint);
        get_user(&over_loopback, "bench").await;
        for _ in 0..calls {
            get_user(&over_loopback, "bench").await;
        }
        served.stop().await;
        return;
    }
    for _ in 0..calls {
        match mode {
            "full" => get_user(&setup, "bench").await,
            "sandbox" => {
                std::hint::black_box(memory.handle(&request));
            }
            "sdk" => get_user(&sdk, "bench").await,
            other => panic!("unknown BENCH_MODE {other}"),
        }
    }
}

fn main() {
    if let Ok(calls) = std::env::var("BENCH_CALLS") {
        let calls: u32 = calls.parse().expect("BENCH_CALLS is a number");
        let mode = std::env::var("BENCH_MODE").unwrap_or_else(|_| "full".to_owned());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(counted(&mode, calls));
        return;
    }
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("awslab-sandbox benchmark (one core: current-thread runtime unless noted)");
    // `AWSLAB_BENCH_ONLY=commit` (or `throughput`, `startup`, `memory`, `concurrent`)
    // runs one group alone, on a shared machine.
    let only = std::env::var("AWSLAB_BENCH_ONLY").ok();
    let runs = |group: &str| only.as_deref().is_none_or(|only| only == group);
    if runs("throughput") {
        single.block_on(throughput());
    }
    if runs("startup") {
        single.block_on(startup());
    }
    if runs("memory") {
        single.block_on(memory_with_users());
    }
    if runs("commit") {
        single.block_on(commit_cost());
    }
    // Not in a plain run (it takes a while): `AWSLAB_BENCH_ONLY=sizes`.
    if only.as_deref() == Some("sizes") {
        single.block_on(body_sizes());
    }
    if runs("concurrent") {
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        multi.block_on(concurrent_labs());
    }
}
