//! End to end against moto, as a hostile tester: teardown never deletes what the run
//! did not create (a user recreated under the same name, a profile a person rewrote),
//! deletes a stack `CreateStack` left half-made (found by its tag), and `${role.name}`
//! is the role's name on a fresh and on a resumed run.

mod support;

use std::path::Path;

use support::{Lab, text};

#[expect(clippy::unwrap_used, reason = "a test helper fails loudly")]
fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_owned()
}

const USER_PLAN: &str = r#"
name: ownership
steps:
  user: { iam.user: { name: "lab-user-${run.id}", access_key: true } }
  may-list:
    iam.user_policy:
      user: ${user.name}
      name: ListAll
      document: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:ListAllMyBuckets", Resource: "*" } ] }
  profile: { aws.profile: { name: "mine-${run.id}", credentials: user } }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn down_keeps_a_user_recreated_out_of_band_under_the_same_name() {
    let Some(lab) = Lab::start("down_keeps_a_user_recreated_out_of_band").await else {
        return;
    };
    let plan = write(lab.files.dir(), "ownership.yaml", USER_PLAN);
    let up = lab.awslab(&["up", &plan, "--run-id", "own1", "--settle-timeout", "20"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));

    let endpoint = lab.moto().endpoint_url();
    let aws = |args: &[&str]| {
        let out = lab.aws(&[&["--endpoint-url", endpoint, "--output", "json"], args].concat())?;
        assert!(out.status.success(), "aws {args:?}: {}", text(&out));
        Some(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default())
    };
    // Out of band: the lab user goes, and someone else's user takes its name.
    let Some(keys) = aws(&["iam", "list-access-keys", "--user-name", "lab-user-own1"]) else {
        return;
    };
    for key in keys["AccessKeyMetadata"].as_array().unwrap() {
        let id = key["AccessKeyId"].as_str().unwrap();
        aws(&[
            "iam",
            "delete-access-key",
            "--user-name",
            "lab-user-own1",
            "--access-key-id",
            id,
        ]);
    }
    aws(&[
        "iam",
        "delete-user-policy",
        "--user-name",
        "lab-user-own1",
        "--policy-name",
        "ListAll",
    ]);
    aws(&["iam", "delete-user", "--user-name", "lab-user-own1"]);
    aws(&["iam", "create-user", "--user-name", "lab-user-own1"]);
    let theirs = aws(&["iam", "create-access-key", "--user-name", "lab-user-own1"]).unwrap();
    let their_key = theirs["AccessKey"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "lab-user-own1",
        "--policy-name",
        "ListAll",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
    ]);

    let down = lab.awslab(&["down", "own1"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(
        out.contains("LEFT     iam user lab-user-own1: not ours"),
        "{out}"
    );
    assert!(
        out.contains("LEFT     iam user policy ListAll of user lab-user-own1: not ours"),
        "{out}"
    );
    assert!(!out.contains("deleted  iam user lab-user-own1"), "{out}");
    // Their user, key and policy are all still there.
    let keys = aws(&["iam", "list-access-keys", "--user-name", "lab-user-own1"]).unwrap();
    assert_eq!(
        keys["AccessKeyMetadata"][0]["AccessKeyId"],
        their_key.as_str()
    );
    let policies = aws(&["iam", "list-user-policies", "--user-name", "lab-user-own1"]).unwrap();
    assert_eq!(policies["PolicyNames"][0], "ListAll");
    // The profile the run wrote was still its own, so it went.
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap();
    assert!(!credentials.contains("[mine-own1]"), "{credentials}");
}

#[tokio::test(flavor = "multi_thread")]
async fn down_keeps_a_profile_a_person_rewrote() {
    let Some(lab) = Lab::start("down_keeps_a_profile_a_person_rewrote").await else {
        return;
    };
    let plan = write(lab.files.dir(), "ownership.yaml", USER_PLAN);
    let up = lab.awslab(&["up", &plan, "--run-id", "own2", "--settle-timeout", "20"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    // `aws configure --profile mine-own2` with the person's own keys.
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap();
    let start = credentials.find("[mine-own2]").unwrap();
    let mine =
        "[mine-own2]\naws_access_key_id = AKIAPERSONALEXAMPLE\naws_secret_access_key = personal\n";
    std::fs::write(
        &lab.files.credentials,
        format!("{}{mine}", &credentials[..start]),
    )
    .unwrap();

    let down = lab.awslab(&["down", "own2"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(
        out.contains("LEFT     aws profile mine-own2: not ours"),
        "{out}"
    );
    assert!(out.contains("deleted  iam user lab-user-own2"), "{out}");
    let after = std::fs::read_to_string(&lab.files.credentials).unwrap();
    assert!(
        after.ends_with(mine),
        "the person's profile changed:\n{after}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn role_name_is_the_roles_on_a_fresh_and_a_resumed_run() {
    let Some(lab) = Lab::start("role_name_is_the_roles_on_a_fresh_and_a_resumed_run").await else {
        return;
    };
    let role = r#"
name: role-names
steps:
  role:
    iam.role:
      name: "lab-role-${run.id}"
      trust_policy: { Version: "2012-10-17", Statement: [ { Effect: Allow, Principal: { AWS: "arn:aws:iam::${account.id}:root" }, Action: "sts:AssumeRole" } ] }
      policies:
        PolicyOne: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:ListAllMyBuckets", Resource: "*" } ] }
        PolicyTwo: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:ListBucket", Resource: "*" } ] }
  role-exists:
    verify: { call: iam.GetRole, params: { RoleName: "${role.name}" }, expect: { RoleName: "EXPECT" } }
"#;
    let fresh = write(
        lab.files.dir(),
        "fresh.yaml",
        &role.replace("EXPECT", "lab-role-*"),
    );
    let up = lab.awslab(&["up", &fresh, "--run-id", "own3", "--settle-timeout", "20"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));

    // A run whose check fails after the role finished, then resumed with it fixed:
    // the resumed run reads `${role.name}` from the journal.
    let failing = write(
        lab.files.dir(),
        "failing.yaml",
        &role.replace("EXPECT", "no-such-*"),
    );
    let first = lab.awslab(&["up", &failing, "--run-id", "own4", "--settle-timeout", "2"]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let resumed = lab.awslab(&["up", &fresh, "--run-id", "own4", "--settle-timeout", "20"]);
    let out = text(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{out}");
    assert!(
        out.contains("(resumed)") && out.contains("RoleName=lab-role-own4"),
        "{out}"
    );
    for run in ["own3", "own4"] {
        let down = lab.awslab(&["down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn down_deletes_a_stack_create_stack_left_half_made() {
    let Some(lab) = Lab::start("down_deletes_a_stack_create_stack_left_half_made").await else {
        return;
    };
    let endpoint = lab.moto().endpoint_url();
    // The bucket the template wants is taken, so the stack cannot be created whole.
    if lab
        .aws(&[
            "--endpoint-url",
            endpoint,
            "s3api",
            "create-bucket",
            "--bucket",
            "taken-own5",
        ])
        .is_none()
    {
        return;
    }
    write(
        lab.files.dir(),
        "bucket.yaml",
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: taken-own5\n",
    );
    let plan = write(
        lab.files.dir(),
        "stack.yaml",
        "name: half-made\nsteps:\n  stack: { cfn.stack: { name: \"half-${run.id}\", template: bucket.yaml } }\n",
    );
    let up = lab.awslab(&["up", &plan, "--run-id", "own5", "--settle-timeout", "20"]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));

    let down = lab.awslab(&["down", "own5"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{out}");
    assert!(
        out.contains("deleted  cloudformation stack half-own5"),
        "{out}"
    );
    assert!(
        !lab.inventory().contains(&"stack:half-own5".to_owned()),
        "the half-made stack is still there: {out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn group_kinds_give_members_the_groups_policy_and_tear_down() {
    let Some(lab) = Lab::start("group_kinds_give_members_the_groups_policy").await else {
        return;
    };
    let plan = write(
        lab.files.dir(),
        "groups.yaml",
        r#"
name: groups
steps:
  erin: { iam.user: { name: "erin-${run.id}", access_key: true } }
  listers: { iam.group: { name: "listers-${run.id}" } }
  may-list:
    iam.group_policy:
      group: ${listers.name}
      name: ListAllBuckets
      document: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:ListAllMyBuckets", Resource: "*" } ] }
  erin-cannot-list-yet:
    verify: { as: erin, call: s3.ListBuckets, expect: AccessDenied }
  erin-joins:
    iam.group_membership: { group: "${listers.name}", user: "${erin.name}" }
    needs: [erin-cannot-list-yet]
  erin-lists:
    verify: { as: erin, call: s3.ListBuckets, expect: allow }
    needs: [erin-joins, may-list]
  erin-is-a-member:
    verify: { call: iam.GetGroup, params: { GroupName: "${listers.name}" }, expect: { UserNames: "erin-*" } }
    needs: [erin-joins]
"#,
    );
    let up = lab.awslab(&["up", &plan, "--run-id", "grp1", "--settle-timeout", "20"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(out.contains("3 of 3 verifications passed"), "{out}");
    let down = lab.awslab(&["down", "grp1"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{out}");
    assert!(out.contains("deleted  iam group listers-grp1"), "{out}");
    let groups = lab.aws(&[
        "--endpoint-url",
        lab.moto().endpoint_url(),
        "iam",
        "list-groups",
        "--output",
        "json",
    ]);
    if let Some(groups) = groups {
        let json: serde_json::Value = serde_json::from_slice(&groups.stdout).unwrap();
        assert_eq!(json["Groups"].as_array().map(Vec::len), Some(0), "{json}");
    }
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
