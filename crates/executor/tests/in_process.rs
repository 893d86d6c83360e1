//! The in-process seam: a small plan runs through the real engine, scheduler, journal
//! and step kinds against a fake AWS that answers inside this process through
//! `Target::in_process`, with no socket. The same fake then drives teardown's
//! ownership rules: a user recreated under the same name (another user id) is left,
//! and a profile whose intent was journaled but never written is reported as never
//! created, not as deleted.

#![expect(
    clippy::unwrap_used,
    clippy::struct_field_names,
    reason = "a test's fake AWS fails loudly"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use awslab_executor::journal::timestamp_now;
use awslab_executor::profile_files::ProfilePaths;
use awslab_executor::resources::{self, ResourceRef};
use awslab_executor::{
    Engine, EngineOptions, Journal, Record, RunEvent, RunId, RunMeta, Scheduler, Secret,
    SecretsStore, Target, TargetInfo, config_for_static, replay, teardown,
};
use awslab_planner::{SourceFile, StepId, check_source};

const ACCOUNT: &str = "123456789012";

/// A fake AWS: the query-protocol actions it was sent, and the user id `GetUser`
/// answers (so a test can replace the user out of band).
#[derive(Debug, Default)]
struct World {
    calls: Vec<(String, HashMap<String, String>)>,
    user_id: String,
}

#[derive(Debug, Clone, Default)]
struct Fake(Arc<Mutex<World>>);

fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ok(action: &str, namespace: &str, result: &str) -> (u16, String) {
    (
        200,
        format!(
            "<{action}Response xmlns=\"{namespace}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{action}Response>"
        ),
    )
}

const IAM: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn user_xml(name: &str, id: &str) -> String {
    format!(
        "<User><Path>/</Path><UserName>{name}</UserName><UserId>{id}</UserId><Arn>arn:aws:iam::{ACCOUNT}:user/{name}</Arn><CreateDate>2026-11-30T00:00:00Z</CreateDate></User>"
    )
}

impl Fake {
    fn answer(&self, params: &HashMap<String, String>) -> (u16, String) {
        let action = params.get("Action").cloned().unwrap_or_default();
        let user = params.get("UserName").cloned().unwrap_or_default();
        let user_id = self.0.lock().unwrap().user_id.clone();
        match action.as_str() {
            "GetCallerIdentity" => ok(
                &action,
                STS,
                &format!(
                    "<Arn>arn:aws:iam::{ACCOUNT}:user/operator</Arn><UserId>AIDAOPERATOR</UserId><Account>{ACCOUNT}</Account>"
                ),
            ),
            "CreateUser" | "GetUser" => ok(&action, IAM, &user_xml(&user, &user_id)),
            "ListAccessKeys" => ok(
                &action,
                IAM,
                "<AccessKeyMetadata/><IsTruncated>false</IsTruncated>",
            ),
            "ListUserPolicies" => ok(
                &action,
                IAM,
                "<PolicyNames/><IsTruncated>false</IsTruncated>",
            ),
            "ListAttachedUserPolicies" => ok(
                &action,
                IAM,
                "<AttachedPolicies/><IsTruncated>false</IsTruncated>",
            ),
            "ListGroupsForUser" => ok(&action, IAM, "<Groups/><IsTruncated>false</IsTruncated>"),
            "DeleteLoginProfile" => (
                404,
                format!(
                    "<ErrorResponse xmlns=\"{IAM}\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>no login profile</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
                ),
            ),
            "DeleteUser" => (
                200,
                format!(
                    "<DeleteUserResponse xmlns=\"{IAM}\"><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DeleteUserResponse>"
                ),
            ),
            other => (
                400,
                format!(
                    "<ErrorResponse xmlns=\"{IAM}\"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the fake does not answer {other}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
                ),
            ),
        }
    }

    fn actions(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .calls
            .iter()
            .map(|(a, _)| a.clone())
            .collect()
    }
}

impl HttpConnector for Fake {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let params = form(request.body().bytes().unwrap_or_default());
        let (status, body) = self.answer(&params);
        let action = params.get("Action").cloned().unwrap_or_default();
        self.0.lock().unwrap().calls.push((action, params));
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
        response.headers_mut().insert("content-type", "text/xml");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Fake {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

const PLAN: &str = r#"
name: in-process
steps:
  user: { iam.user: { name: "fake-${run.id}" } }
  who:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: "arn:aws:iam::*:user/operator" } }
    needs: [user]
"#;

struct Run {
    fake: Fake,
    target: Target,
    dir: tempfile::TempDir,
    run_id: RunId,
}

impl Run {
    fn new() -> Self {
        let fake = Fake::default();
        fake.0.lock().unwrap().user_id = "AIDAFIRSTUSER".into();
        let target = Target::in_process(
            "http://aws.in-process.invalid",
            SharedHttpClient::new(fake.clone()),
            "us-east-1",
            None,
        );
        Self {
            fake,
            target,
            dir: tempfile::tempdir().unwrap(),
            run_id: RunId::parse("inproc").unwrap(),
        }
    }

    fn operator(&self) -> aws_config::SdkConfig {
        config_for_static(
            &self.target,
            "AKIAOPERATOREXAMPLE",
            &Secret::new("operator-secret"),
            None,
        )
    }

    fn state_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }

    async fn up(&self) -> bool {
        self.up_plan(PLAN).await.0
    }

    /// Runs `plan` up: whether it succeeded, and how many SDK clients it built.
    async fn up_plan(&self, plan: &str) -> (bool, usize) {
        let sealed = Arc::new(
            check_source(
                SourceFile::new(self.dir.path().join("plan.yaml"), plan),
                &[],
            )
            .map_err(|e| e.to_string())
            .unwrap(),
        );
        let meta = RunMeta {
            run_id: self.run_id.clone(),
            plan_path: "plan.yaml".into(),
            plan_name: "in-process".into(),
            target: TargetInfo {
                profile: None,
                accounts: indexmap::IndexMap::new(),
                endpoint: self.target.endpoint_url().map(str::to_owned),
                region: "us-east-1".into(),
                account: Some(ACCOUNT.into()),
                sandbox: None,
            },
            vars: indexmap::IndexMap::new(),
            started_at: timestamp_now(),
            expires_at: None,
        };
        let journal = Journal::create(&self.state_dir(), meta).unwrap();
        let run_dir = Journal::run_dir(&self.state_dir(), &self.run_id);
        let options = EngineOptions {
            target: self.target.clone(),
            run_id: self.run_id.clone(),
            account: ACCOUNT.into(),
            accounts: indexmap::IndexMap::new(),
            settle_timeout: Duration::from_secs(5),
            learner_bundles: None,
            profile_paths: ProfilePaths {
                credentials: self.dir.path().join("credentials"),
                config: self.dir.path().join("config"),
            },
            run_dir: run_dir.clone(),
            times: awslab_executor::tags::RunTimes::default(),
        };
        let engine = Arc::new(Engine::new(
            Arc::clone(&sealed),
            options,
            self.operator(),
            journal,
            SecretsStore::open(&run_dir).unwrap(),
            &awslab_executor::JournalState::default(),
        ));
        let nodes: Vec<(StepId, Vec<StepId>)> = sealed
            .order()
            .map(|id| {
                (
                    id.clone(),
                    sealed.dependencies(id).into_iter().cloned().collect(),
                )
            })
            .collect();
        let report = Scheduler::new(nodes)
            .unwrap()
            .run(Arc::clone(&engine))
            .await
            .unwrap();
        (report.succeeded(), engine.clients_built())
    }

    async fn down(&self) -> (awslab_executor::Receipt, Vec<RunEvent>) {
        let path = Journal::run_dir(&self.state_dir(), &self.run_id).join(Journal::FILE_NAME);
        let state = replay(&path).unwrap();
        let mut events = Vec::new();
        let receipt = teardown(
            &self.state_dir(),
            &self.run_id,
            &state,
            &self.operator().into(),
            awslab_executor::TeardownOptions {
                stack_deadline: Duration::from_secs(5),
                forget_foreign: false,
                partial: false,
            },
            |event| events.push(event),
        )
        .await
        .unwrap();
        (receipt, events)
    }
}

#[tokio::test]
async fn small_plan_runs_in_process_and_tears_down() {
    let run = Run::new();
    assert!(run.up().await, "the run failed: {:?}", run.fake.actions());
    let calls = run.fake.0.lock().unwrap().calls.clone();
    let create = calls
        .iter()
        .find(|(a, _)| a == "CreateUser")
        .expect("CreateUser was sent");
    assert_eq!(create.1["UserName"], "fake-inproc");
    assert_eq!(create.1["Tags.member.1.Key"], "awslab:run");
    assert_eq!(create.1["Tags.member.1.Value"], "inproc");
    assert!(run.fake.actions().contains(&"GetCallerIdentity".to_owned()));

    let journal = Journal::run_dir(&run.state_dir(), &run.run_id).join(Journal::FILE_NAME);
    let state = replay(&journal).unwrap();
    assert_eq!(state.outputs["user"]["user_id"], "AIDAFIRSTUSER");
    assert_eq!(
        state.resources[0].resource,
        ResourceRef::IamUser(resources::IamUser {
            name: "fake-inproc".into(),
            user_id: Some("AIDAFIRSTUSER".into()),
        })
    );

    let (receipt, events) = run.down().await;
    assert!(receipt.is_clean(), "{receipt:?}");
    assert_eq!(receipt.deleted, vec!["iam user fake-inproc".to_owned()]);
    assert!(events.contains(&RunEvent::Deleted {
        resource: "iam user fake-inproc".into()
    }));
    assert!(run.fake.actions().contains(&"DeleteUser".to_owned()));
}

#[tokio::test]
async fn teardown_leaves_a_user_recreated_under_the_same_name() {
    let run = Run::new();
    assert!(run.up().await);
    // Out of band: the lab user is deleted and a new one made under the same name.
    run.fake.0.lock().unwrap().user_id = "AIDASOMEONEELSE".into();
    let (receipt, _) = run.down().await;
    assert!(!receipt.is_clean());
    let (label, reason) = &receipt.left[0];
    assert_eq!(label, "iam user fake-inproc");
    assert!(
        reason.contains("not ours") && reason.contains("AIDASOMEONEELSE"),
        "{reason}"
    );
    let actions = run.fake.actions();
    assert!(
        !actions.iter().any(|a| a.starts_with("Delete")),
        "deleted something: {actions:?}"
    );
}

#[tokio::test]
async fn a_profile_journaled_but_never_written_is_not_reported_deleted() {
    let run = Run::new();
    assert!(run.up().await);
    // A crash between the profile's intent and its first byte.
    let paths = ProfilePaths {
        credentials: run.dir.path().join("credentials"),
        config: run.dir.path().join("config"),
    };
    let credentials = awslab_executor::StepCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new("secret"),
        session_token: Some(Secret::new("token")),
        expiration: None,
    };
    let planned = awslab_executor::profile_files::planned_receipt(
        &paths,
        &awslab_executor::ProfileSpec {
            name: "assumed",
            credentials: &credentials,
            region: "us-east-1",
            endpoint_url: None,
        },
    )
    .unwrap();
    let journal = Journal::open(&run.state_dir(), &run.run_id).unwrap();
    journal
        .append(&Record::Intent {
            account: None,
            step: "profile".into(),
            resource: ResourceRef::AwsProfile(resources::AwsProfile { receipt: planned }),
        })
        .unwrap();
    let (receipt, events) = run.down().await;
    assert!(receipt.is_clean(), "{receipt:?}");
    assert!(
        !receipt.deleted.iter().any(|d| d.contains("profile")),
        "{receipt:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, RunEvent::Gone { resource, .. } if resource == "aws profile assumed")
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn steps_of_one_identity_share_one_client() {
    let run = Run::new();
    let plan = r#"
name: in-process
steps:
  first: { iam.user: { name: "first-${run.id}" } }
  second: { iam.user: { name: "second-${run.id}" } }
  third: { iam.user: { name: "third-${run.id}" }, needs: [first, second] }
"#;
    let (succeeded, built) = run.up_plan(plan).await;
    assert!(succeeded, "the run failed: {:?}", run.fake.actions());
    let creates = run
        .fake
        .actions()
        .iter()
        .filter(|a| *a == "CreateUser")
        .count();
    assert_eq!(creates, 3);
    assert_eq!(built, 1, "three operator steps share one IAM client");
}
