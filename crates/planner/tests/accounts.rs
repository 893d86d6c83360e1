//! Several accounts in one plan, as the planner sees them: each mistake about
//! `accounts:`, `account:` and `${account.NAME.id}` is one located error with a fix;
//! a trust policy naming another account's principal is fine; same-named resources
//! in two accounts do not collide; a step acting as an identity runs where it lives.

use awslab_planner::{Diagnostic, LoadError, Severity, SourceFile, check_source};

fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    match check_source(SourceFile::new("accounts.yaml", yaml), &[]) {
        Ok(sealed) => sealed.warnings.clone(),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        Err(other) => panic!("{other}"),
    }
}

fn summary(found: &[Diagnostic]) -> Vec<String> {
    found
        .iter()
        .map(|d| {
            format!(
                "{} {:?} {:?} {} | {}",
                d.code,
                d.severity,
                d.line_column(),
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect()
}

/// (name, plan, code, line:column, part of the message, part of the help)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    (usize, usize),
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "unknown account",
        "name: x\naccounts: { alpha: {}, beta: {} }\nsteps:\n  u: { account: betta, iam.user: { name: u } }\n",
        "plan::unknown_account",
        (4, 17),
        "step `u` runs in unknown account `betta`",
        "did you mean `beta`?",
    ),
    (
        "account without accounts",
        "name: x\nsteps:\n  u: { account: b, iam.user: { name: u } }\n",
        "plan::unknown_account",
        (3, 17),
        "but the plan names no accounts",
        "add `accounts: { b: {} }`",
    ),
    (
        "unknown account in a reference",
        "name: x\naccounts: { a: {}, b: {} }\nsteps:\n  u: { iam.user: { name: \"u-${account.c.id}\" } }\n",
        "plan::unknown_account",
        (4, 29),
        "names unknown account `c`",
        "the plan's accounts are `a`, `b`",
    ),
    (
        "unknown account in a variable",
        "name: x\naccounts: { a: {} }\nvars: { other: \"${account.z.id}\" }\nsteps:\n  u: { iam.user: { name: u } }\n",
        "plan::unknown_account",
        (3, 17),
        "in variable `other` names unknown account `z`",
        "",
    ),
    (
        "account field misspelled",
        "name: x\naccounts: { a: { profle: lab } }\nsteps:\n  u: { iam.user: { name: u } }\n",
        "plan::unknown_key",
        (2, 18),
        "unknown key `profle` in account `a`",
        "did you mean `profile`?",
    ),
    (
        "empty accounts",
        "name: x\naccounts: {}\nsteps:\n  u: { iam.user: { name: u } }\n",
        "plan::invalid_value",
        (2, 11),
        "`accounts` names no account",
        "",
    ),
    (
        "bad account name",
        "name: x\naccounts: { 9lives: {} }\nsteps:\n  u: { iam.user: { name: u } }\n",
        "plan::invalid_value",
        (2, 13),
        "`9lives` is not a valid account name",
        "",
    ),
    (
        "account.x.y is not known",
        "name: x\naccounts: { a: {} }\nsteps:\n  u: { iam.user: { name: \"${account.a.name}\" } }\n",
        "plan::bad_reference",
        (4, 27),
        "`account.a` is not known",
        "",
    ),
    (
        "policy for another account's user",
        "name: x\naccounts: { a: {}, b: {} }\nsteps:\n  u: { account: b, iam.user: { name: u } }\n  p: { iam.user_policy: { user: \"${u.name}\", name: p, document: { Version: \"2012-10-17\", Statement: { Effect: Deny, Action: \"*\", Resource: \"*\" } } } }\n",
        "plan::account_mismatch",
        (5, 33),
        "step `p` runs in account `a` but changes `u`, which is in account `b`",
        "add `account: b` to step `p`",
    ),
    (
        "identity of another account",
        "name: x\naccounts: { a: {}, b: {} }\nsteps:\n  u: { account: b, iam.user: { name: u, access_key: true } }\n  v: { account: a, verify: { as: u, call: sts.GetCallerIdentity, expect: allow } }\n",
        "plan::account_mismatch",
        (5, 17),
        "step `v` says `account: a` but acts as `u`, an identity of account `b`",
        "drop `account:`",
    ),
    (
        "trust of another account's user without the external id",
        "name: x\naccounts: { a: {}, b: {} }\nsteps:\n  u: { account: b, iam.user: { name: u, access_key: true } }\n  r:\n    iam.role:\n      name: r\n      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.a.id}:root\" }, Action: sts:AssumeRole } }\n  s: { sts.assume_role: { as: u, role_arn: \"${r.arn}\", session_name: ss } }\n",
        "plan::trust",
        (9, 8),
        "does not let `u`",
        "${account.b.id}:user/u",
    ),
];

#[test]
fn errors_for_each_account_mistake_in_the_table() {
    let mut failures = Vec::new();
    for (name, yaml, code, at, message, help) in CASES {
        let found = diagnostics(yaml);
        let hit = found.iter().any(|d| {
            d.code == *code
                && d.line_column() == *at
                && d.message.contains(message)
                && d.help.as_deref().unwrap_or_default().contains(help)
        });
        if !hit {
            failures.push(format!(
                "case `{name}`: wanted {code} at {at:?} `{message}` (help `{help}`), found:\n  {}",
                summary(&found).join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn cross_account_trust_with_the_external_id_and_twin_names_are_clean() {
    let yaml = r#"
name: x
accounts: { a: {}, b: {} }
steps:
  twin-a: { iam.user: { name: twin } }
  twin-b: { account: b, iam.user: { name: twin, access_key: true } }
  role:
    iam.role:
      name: twin
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "${twin-b.arn}" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { "sts:ExternalId": secret-handshake } }
  session:
    sts.assume_role: { as: twin-b, role_arn: "${role.arn}", session_name: ss, external_id: secret-handshake }
  who:
    verify: { as: session, call: sts.GetCallerIdentity, expect: { Account: "${account.a.id}" } }
"#;
    let found = diagnostics(yaml);
    assert!(found.is_empty(), "{:#?}", summary(&found));
    let sealed = check_source(SourceFile::new("twins.yaml", yaml), &[]).unwrap();
    let plan = &sealed.plan;
    let account = |step: &str| {
        plan.account_of(plan.steps.get(step).unwrap())
            .unwrap()
            .to_owned()
    };
    assert_eq!(account("twin-a"), "a");
    assert_eq!(account("twin-b"), "b");
    // The session assumed by b's user is a principal of the role's account, a.
    assert_eq!(account("session"), "b");
    assert_eq!(account("who"), "a");
}

#[test]
fn a_wrong_external_id_across_accounts_is_a_trust_error() {
    let yaml = r#"
name: x
accounts: { a: {}, b: {} }
steps:
  user: { account: b, iam.user: { name: partner, access_key: true } }
  role:
    iam.role:
      name: partner-access
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "${user.arn}" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { "sts:ExternalId": right } }
  session:
    sts.assume_role: { as: user, role_arn: "${role.arn}", session_name: ss, external_id: wrong }
"#;
    let found = diagnostics(yaml);
    let trust: Vec<_> = found
        .iter()
        .filter(|d| d.code == "plan::trust" && d.severity == Severity::Error)
        .collect();
    assert_eq!(trust.len(), 1, "{:#?}", summary(&found));
    assert_eq!(trust[0].line_column(), (17, 5));
}
