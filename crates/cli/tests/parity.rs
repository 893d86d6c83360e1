//! Every plan in `plans/` and `examples/` passes every verify on the sandbox, and
//! gives the same verdict, step by step, on moto, except where moto is not faithful
//! to AWS: [`MOTO_DIFFERS`] lists each such step with moto's verdict and the reason
//! (and fails when moto's verdict changes, so the list cannot go stale). `down`
//! leaves both targets as they were. The sandbox half needs no Python and never
//! skips; docs/architecture.md ("The sandbox against moto") carries the same table.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::{Lab, Target, examples, plans, text};

/// Plans that are wrong on purpose (the planner's examples of mistakes): `validate`
/// refuses them, so neither target runs them.
const INVALID: &[&str] = &["examples/broken/session-too-long.yaml"];

/// Plans that run on the sandbox only, with the reason: one moto server is one
/// account to awslab (its operator's), and a plan of several accounts (`accounts:`)
/// needs an operator in each.
const SANDBOX_ONLY: &[(&str, &str)] = &[(
    "plans/cross-account.yaml",
    "a plan of two accounts; a moto server gives awslab one operator",
)];

/// Why moto fails seed 004's first demo: it denies trust policies naming `:root`.
const ROOT_TRUST: &str = "moto denies AssumeRole on a role whose trust policy names the \
     account root (`arn:aws:iam::ACCOUNT:root`), which AWS allows to the account's principals";
/// Plans whose moto half is not run, and why: where moto is unfaithful in what the
/// whole lab is about, a step-by-step list would only restate it. The sandbox half runs.
const MOTO_CANNOT_RUN: &[(&str, &str)] = &[
    (
        "plans/abac-tags.yaml",
        "moto denies AssumeRole by trust policies naming the account root, and counts \
         conditions (aws:PrincipalTag) as true",
    ),
    (
        "plans/mfa-session-token.yaml",
        "moto has no ListMFADeviceTags, by which teardown proves a device is the run's (so \
         down rightly leaves it), refuses its own GetSessionToken keys, and counts \
         aws:MultiFactorAuthPresent conditions as true",
    ),
    (
        "plans/role-chaining.yaml",
        "moto denies AssumeRole by trust policies naming the account root, ignores session \
         policies and counts conditions (aws:SourceIdentity, aws:PrincipalTag) as true",
    ),
];

/// Why moto fails the session-token plan: its `GetSessionToken` keys are refused.
const SESSION_KEYS: &str = "moto's GetSessionToken returns keys that moto itself refuses \
    (InvalidClientTokenId), so awslab's wait for the new credentials ends and the steps \
    that use them are skipped";
/// Why moto fails the federation-token plan: its `GetFederationToken` keys are refused.
const FEDERATION_KEYS: &str = "moto's GetFederationToken returns keys that moto itself \
    refuses (InvalidClientTokenId), so awslab's wait for the new credentials ends and the \
    steps that use them are skipped";

/// Why moto passes an IAM call outside a user's permissions boundary.
const USER_BOUNDARY: &str = "moto ignores a user's PermissionsBoundary (it keeps only \
    roles' boundaries, and never evaluates them), so the call her boundary denies is allowed";
/// Why the web identity plan's token step fails on moto.
const SANDBOX_TOKEN: &str = "`sandbox_token` is minted by the sandbox's own OIDC issuer, \
    which moto does not have, so the step fails and the verify that uses it is skipped";
const SANDBOX_SAML: &str = "`sandbox_metadata` registers the sandbox's own SAML identity \
    provider, which moto does not have, so the step fails and the steps after it are skipped";

/// Why moto denies a call that a policy scoped to the resource's ARN allows.
const RESOURCE_STAR: &str = "moto authorizes IAM calls on the resource `*`, not on the ARN \
    AWS names for the action, so a policy scoped to the user's ARN (as AWS's docs scope \
    iam:ListUserTags) never matches and the call is denied";

/// Steps whose verdict on moto is not AWS's, with moto's status and why. The
/// sandbox gives AWS's verdict for each (every step of every plan succeeds there).
const MOTO_DIFFERS: &[(&str, &str, &str, &str)] = &[
    (
        "plans/permissions-boundary.yaml",
        "iam-is-outside-the-boundary",
        "failed",
        USER_BOUNDARY,
    ),
    (
        "plans/permissions-boundary.yaml",
        "cannot-write",
        "failed",
        USER_BOUNDARY,
    ),
    (
        "plans/permissions-boundary.yaml",
        "cannot-create-users",
        "failed",
        USER_BOUNDARY,
    ),
    (
        "plans/web-identity.yaml",
        "student",
        "failed",
        SANDBOX_TOKEN,
    ),
    ("plans/saml.yaml", "idp", "failed", SANDBOX_SAML),
    (
        "plans/tagged-lab.yaml",
        "learner-reads-own-tags",
        "failed",
        RESOURCE_STAR,
    ),
    ("plans/saml.yaml", "role", "skipped", SANDBOX_SAML),
    ("plans/saml.yaml", "student", "skipped", SANDBOX_SAML),
    ("plans/saml.yaml", "profile", "skipped", SANDBOX_SAML),
    ("plans/saml.yaml", "is-the-role", "skipped", SANDBOX_SAML),
    (
        "plans/web-identity.yaml",
        "is-the-role",
        "skipped",
        SANDBOX_TOKEN,
    ),
    (
        "plans/federation-token.yaml",
        "guest",
        "failed",
        FEDERATION_KEYS,
    ),
    (
        "plans/federation-token.yaml",
        "guest-identity",
        "skipped",
        FEDERATION_KEYS,
    ),
    (
        "plans/federation-token.yaml",
        "guest-lists-bucket",
        "skipped",
        FEDERATION_KEYS,
    ),
    (
        "plans/federation-token.yaml",
        "guest-cannot-list-all",
        "skipped",
        FEDERATION_KEYS,
    ),
    (
        "plans/session-token.yaml",
        "session",
        "failed",
        SESSION_KEYS,
    ),
    (
        "plans/session-token.yaml",
        "profile",
        "skipped",
        SESSION_KEYS,
    ),
    (
        "plans/session-token.yaml",
        "same-user",
        "skipped",
        SESSION_KEYS,
    ),
    (
        "plans/session-token.yaml",
        "session-lists",
        "skipped",
        SESSION_KEYS,
    ),
    (
        "plans/session-token.yaml",
        "session-cannot-list-all",
        "skipped",
        SESSION_KEYS,
    ),
    (
        "plans/seed-004-demo1.yaml",
        "four-hours-refused",
        "failed",
        ROOT_TRUST,
    ),
    ("plans/seed-004-demo1.yaml", "assumed", "failed", ROOT_TRUST),
    ("plans/seed-004-demo1.yaml", "who", "skipped", ROOT_TRUST),
    (
        "plans/seed-004-demo1.yaml",
        "written",
        "skipped",
        ROOT_TRUST,
    ),
    (
        "plans/seed-004-demo1.yaml",
        "can-list",
        "skipped",
        ROOT_TRUST,
    ),
    (
        "plans/seed-004-demo1.yaml",
        "can-read",
        "skipped",
        ROOT_TRUST,
    ),
];

/// Every `.yaml` plan under `plans/` (fragments included) and `examples/`, as
/// `plans/NAME.yaml` paths, sorted.
fn every_plan() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, shown: &str, out: &mut Vec<(String, PathBuf)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let shown = format!("{shown}/{name}");
            // `templates/` holds CloudFormation templates, `vars/` variable files.
            if path.is_dir() && name != "templates" && name != "vars" {
                walk(&path, &shown, out);
            } else if path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml"))
                && path.is_file()
            {
                out.push((shown, path));
            }
        }
    }
    let mut out = Vec::new();
    walk(&plans(), "plans", &mut out);
    walk(&examples(), "examples", &mut out);
    out.sort();
    out
}

/// Each step's status in a run's `summary` event.
fn verdicts(output: &Output) -> Vec<(String, String)> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", text(output)));
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn up(lab: &Lab, plan: &Path, run: &str, settle: &str) -> Output {
    lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--output",
        "json",
        "--run-id",
        run,
        "--settle-timeout",
        settle,
    ])
}

fn down(lab: &Lab, run: &str) {
    let down = lab.awslab(&["down", run]);
    assert_eq!(down.status.code(), Some(0), "{run}: {}", text(&down));
    // moto's inventory costs five aws CLI processes: it is taken once, at the end.
    if lab.target == Target::Sandbox {
        assert_eq!(lab.inventory(), Vec::<String>::new(), "{run}: down left");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_plan_passes_on_the_sandbox_and_matches_moto_where_moto_is_faithful() {
    let sandbox = Lab::on(Target::Sandbox, "parity::sandbox").await.unwrap();
    let moto = Lab::on(Target::Moto, "parity (moto's half)").await;
    let plans = every_plan();
    let names: Vec<&str> = plans.iter().map(|(name, _)| name.as_str()).collect();
    for listed in INVALID
        .iter()
        .chain(MOTO_DIFFERS.iter().map(|(plan, ..)| plan))
        .chain(SANDBOX_ONLY.iter().map(|(plan, _)| plan))
        .chain(MOTO_CANNOT_RUN.iter().map(|(plan, _)| plan))
    {
        assert!(names.contains(listed), "{listed} is listed but not found");
    }
    for (index, (name, plan)) in plans.iter().enumerate() {
        let validate = sandbox.awslab(&["validate", plan.to_str().unwrap()]);
        if INVALID.contains(&name.as_str()) {
            assert_eq!(
                validate.status.code(),
                Some(2),
                "{name}: {}",
                text(&validate)
            );
            continue;
        }
        assert_eq!(
            validate.status.code(),
            Some(0),
            "{name}: {}",
            text(&validate)
        );
        let run = format!("parity{index}");

        let on_sandbox = up(&sandbox, plan, &run, "20");
        assert_eq!(
            on_sandbox.status.code(),
            Some(0),
            "{name}: {}",
            text(&on_sandbox)
        );
        let expected = verdicts(&on_sandbox);
        assert!(
            expected.iter().all(|(_, status)| status == "succeeded"),
            "{name}: {expected:?}"
        );
        down(&sandbox, &run);

        let Some(moto) = &moto else { continue };
        if SANDBOX_ONLY.iter().any(|(plan, _)| plan == name)
            || MOTO_CANNOT_RUN.iter().any(|(plan, _)| plan == name)
        {
            continue;
        }
        let differs: Vec<_> = MOTO_DIFFERS.iter().filter(|d| d.0 == name).collect();
        // A credential moto refuses is retried as one not yet propagated, until the
        // settle deadline: keep it short where moto is known to refuse.
        let settle = if differs.is_empty() { "20" } else { "2" };
        let on_moto = up(moto, plan, &run, settle);
        let got = verdicts(&on_moto);
        assert_eq!(
            got.iter().map(|(step, _)| step).collect::<Vec<_>>(),
            expected.iter().map(|(step, _)| step).collect::<Vec<_>>(),
            "{name}"
        );
        for ((step, on_moto_status), (_, on_sandbox_status)) in got.iter().zip(&expected) {
            match differs.iter().find(|d| d.1 == step) {
                Some((_, _, listed, why)) => assert_eq!(
                    on_moto_status, listed,
                    "{name}: step `{step}` is listed as {listed} on moto ({why}), but is {on_moto_status}: update MOTO_DIFFERS and docs/architecture.md"
                ),
                None => assert_eq!(
                    on_moto_status,
                    on_sandbox_status,
                    "{name}: step `{step}` is {on_moto_status} on moto and {on_sandbox_status} on the sandbox: {}",
                    text(&on_moto)
                ),
            }
        }
        down(moto, &run);
    }
    if let Some(moto) = &moto {
        assert_eq!(moto.inventory(), Vec::<String>::new(), "down left on moto");
    }
}
