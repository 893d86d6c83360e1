//! The explanation `explain` keeps for each request is that request's own: each is
//! written in a buffer reused from request to request on a thread, so one request's
//! text must never carry into the next, whatever the order of allowed and denied
//! requests, large and small.

mod common;

use aws_sdk_iam::operation::RequestId as _;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, user_with_key};

#[tokio::test]
async fn each_request_keeps_its_own_explanation_and_nothing_of_the_one_before() {
    let sandbox = Sandbox::in_memory();
    let operator = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let learner = user_with_key(&sandbox, "learner").await;
    let learner = iam(&sandbox, &learner);
    // A long policy of the learner's, whose denial lists every action it names: the
    // explanations after it are written in a buffer grown larger than they need.
    let actions: Vec<String> = (0..60).map(|n| format!("\"s3:GetObject{n}*\"")).collect();
    let document = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    );
    let long = operator
        .put_user_policy()
        .user_name("learner")
        .policy_name("long")
        .policy_document(document)
        .send()
        .await
        .expect("put user policy");
    let denied = learner
        .list_users()
        .send()
        .await
        .expect_err("the learner may not list users");
    let denied_id = denied.request_id().expect("request id").to_owned();
    let allowed = operator
        .get_user()
        .user_name("learner")
        .send()
        .await
        .expect("get user");
    let after = operator
        .get_user()
        .user_name("learner")
        .send()
        .await
        .expect("get user again");
    let ids = [
        long.request_id().expect("request id").to_owned(),
        denied_id.clone(),
        allowed.request_id().expect("request id").to_owned(),
        after.request_id().expect("request id").to_owned(),
    ];
    for (index, id) in ids.iter().enumerate() {
        let text = sandbox
            .explain(id)
            .expect("explain")
            .unwrap_or_else(|| panic!("no explanation kept for {id}"));
        assert!(text.starts_with(&format!("request {id}\n")), "{text}");
        for (other_index, other) in ids.iter().enumerate() {
            if other_index != index {
                assert!(!text.contains(other.as_str()), "{other} in {id}: {text}");
            }
        }
        assert_eq!(
            text.contains("decision: implicitDeny"),
            *id == denied_id,
            "{text}"
        );
        if *id == denied_id {
            assert!(text.contains("s3:GetObject59*"), "{text}");
        }
    }
    let latest = sandbox
        .explain_latest_denial()
        .expect("explain")
        .expect("a denial kept");
    assert!(
        latest.starts_with(&format!("request {denied_id}\n")),
        "{latest}"
    );
}
