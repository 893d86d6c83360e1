//! The sandbox's speed and memory, beside moto in the same run: signed IAM calls per
//! second in-process (memory and `SQLite` stores) and over loopback (the sandbox's
//! `serve` and `moto_server`, the same SDK client), startup to first answer, resident
//! memory with 10,000 users, 30 concurrent labs sharing one state folder, and the
//! cost of one durable commit in a small and in a large world.
//! Plain `Instant` loops; run with `cargo bench -p awslab-sandbox --bench sandbox`.
#![expect(clippy::print_stdout, clippy::expect_used, reason = "benchmark")]

use std::time::Instant;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox};

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

/// Signed `GetUser` calls per second over `seconds`.
async fn calls_per_second(client: &aws_sdk_iam::Client, user: &str, seconds: f64) -> f64 {
    for _ in 0..50 {
        client
            .get_user()
            .user_name(user)
            .send()
            .await
            .expect("warm-up");
    }
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed().as_secs_f64() < seconds {
        client
            .get_user()
            .user_name(user)
            .send()
            .await
            .expect("get user");
        calls += 1;
    }
    f64::from(calls) / start.elapsed().as_secs_f64()
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
        "in-process, memory store:  {:>8.0} signed GetUser/s",
        calls_per_second(&in_process, "bench", 3.0).await
    );

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
        "in-process, SQLite store:  {:>8.0} signed GetUser/s",
        calls_per_second(&on_disk, "bench", 3.0).await
    );

    let listener = awslab_sandbox::bind(0).await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let served = memory.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_task = tokio::spawn(async move {
        served
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    let over_loopback = operator_client(&memory, loopback_http(), &endpoint);
    println!(
        "loopback, sandbox serve:   {:>8.0} signed GetUser/s",
        calls_per_second(&over_loopback, "bench", 3.0).await
    );
    let _ = stop.send(());
    let _ = server_task.await;

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
                "loopback, moto_server:     {:>8.0} signed GetUser/s (baseline)",
                calls_per_second(&moto_client, "bench", 3.0).await
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
        let listener = awslab_sandbox::bind(0).await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = sandbox.clone();
        let server_task = tokio::spawn(async move {
            served
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
        let client = operator_client(&sandbox, loopback_http(), &endpoint);
        client.list_users().send().await.expect("first answer");
        samples.push(start.elapsed());
        let _ = stop.send(());
        let _ = server_task.await;
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

/// Microseconds per call of `call`, over `rounds` calls.
async fn micros_per_call<F, Fut>(rounds: u32, mut call: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..10 {
        call().await;
    }
    let start = Instant::now();
    for _ in 0..rounds {
        call().await;
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
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
            "SQLite commit, PutUserPolicy, {users:>6} users: {micros:>8.0} us/call (filling took {fill:.1?})"
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
            "SQLite commit, PutObject,   {objects:>6} objects in the bucket: {micros:>8.0} us/call (filling took {fill:.1?})"
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

fn main() {
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("awslab-sandbox benchmark (one core: current-thread runtime unless noted)");
    single.block_on(throughput());
    single.block_on(startup());
    single.block_on(memory_with_users());
    single.block_on(commit_cost());
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    multi.block_on(concurrent_labs());
}
