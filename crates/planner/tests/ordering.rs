//! `plan::verify_order`: a verify whose verdict depends on a step it is not ordered
//! with (a policy of its user, group or role that may name the call's action) is
//! warned about at the verify, with the `needs:` that fixes it; ordered steps,
//! policies that cannot name the action, and `sts.GetCallerIdentity` are not.

use awslab_planner::{Diagnostic, SourceFile, check_source};

fn warnings(yaml: &str) -> Vec<Diagnostic> {
    match check_source(SourceFile::new("lab.yaml", yaml.to_owned()), &[]) {
        Ok(sealed) => sealed
            .warnings
            .into_iter()
            .filter(|d| d.code == "plan::verify_order")
            .collect(),
        Err(error) => panic!("the plan should load: {error:?}"),
    }
}

fn plan(verify_needs: &str, policy_action: &str, call: &str) -> String {
    format!(
        "\
name: lab
steps:
  ali:
    iam.user: {{ name: ali, access_key: true }}
  team:
    iam.group: {{ name: team }}
  member:
    iam.group_membership: {{ group: \"${{team.name}}\", user: \"${{ali.name}}\" }}
  grant:
    iam.group_policy:
      group: \"${{team.name}}\"
      name: grant
      document: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Action: \"{policy_action}\", Resource: \"*\" }} }}
    needs: [member]
  denied:
    verify: {{ as: ali, call: {call}, expect: AccessDenied }}{verify_needs}
"
    )
}

#[test]
fn a_deny_claim_racing_the_policy_that_allows_it_is_warned_at_the_verify() {
    let found = warnings(&plan("", "s3:List*", "s3.ListBuckets"));
    assert_eq!(found.len(), 2, "{found:?}");
    let grant = found
        .iter()
        .find(|d| d.message.contains("step `grant`"))
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(
        grant.message.contains(
            "the verdict of `denied` depends on step `grant` (a policy of group `${team.name}`)"
        ),
        "{}",
        grant.message
    );
    assert_eq!(grant.line_column(), (16, 5));
    assert!(
        grant
            .help
            .as_deref()
            .is_some_and(|h| h.contains("add `needs: [grant]` to step `denied`")),
        "{:?}",
        grant.help
    );
    // The membership puts the user in the group: it races the verify too.
    assert!(
        found.iter().any(|d| d.message.contains("step `member`")),
        "{found:?}"
    );
}

#[test]
fn ordered_steps_unrelated_actions_and_get_caller_identity_are_not_warned() {
    for (needs, action, call) in [
        ("\n    needs: [grant]", "s3:List*", "s3.ListBuckets"),
        ("", "sts:AssumeRole", "s3.ListBuckets"),
        ("", "s3:*", "sts.GetCallerIdentity"),
    ] {
        let found = warnings(&plan(needs, action, call));
        assert!(found.is_empty(), "{needs:?} {action} {call}: {found:?}");
    }
}

#[test]
fn a_role_policy_racing_a_verify_as_the_assumed_role_is_warned() {
    let yaml = "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: reader
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole } }
  read:
    iam.role_policy:
      role: \"${role.name}\"
      name: read
      document: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:ListAllMyBuckets, Resource: \"*\" } }
  session:
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1 }
  lists:
    verify: { as: session, call: s3.ListBuckets, expect: allow }
";
    let found = warnings(yaml);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .contains("depends on step `read` (a policy of role `${role.name}`)"),
        "{}",
        found[0].message
    );
}

#[test]
fn an_assume_role_verify_racing_a_trust_policy_update_is_warned() {
    let yaml = |needs: &str| {
        format!(
            "\
name: lab
steps:
  ali:
    iam.user: {{ name: ali, access_key: true }}
  role:
    iam.role:
      name: reader
      trust_policy: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Principal: {{ AWS: \"${{account.id}}\" }}, Action: sts:AssumeRole }} }}
  narrow:
    iam.trust_policy:
      role: \"${{role.name}}\"
      document: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::${{account.id}}:user/bob\" }}, Action: sts:AssumeRole }} }}
  ali-cannot:
    verify: {{ as: ali, call: sts.AssumeRole, params: {{ RoleArn: \"${{role.arn}}\", RoleSessionName: s1 }}, expect: AccessDenied }}{needs}
"
        )
    };
    let found = warnings(&yaml(""));
    let trust: Vec<_> = found
        .iter()
        .filter(|d| d.message.contains("the trust policy of role `reader`"))
        .collect();
    assert_eq!(trust.len(), 1, "{found:?}");
    assert!(
        trust[0]
            .message
            .contains("the verdict of `ali-cannot` depends on step `narrow`"),
        "{}",
        trust[0].message
    );
    assert!(
        trust[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("add `needs: [narrow]` to step `ali-cannot`")),
        "{:?}",
        trust[0].help
    );
    let ordered = warnings(&yaml("\n    needs: [narrow]"));
    assert!(
        !ordered
            .iter()
            .any(|d| d.message.contains("the trust policy of role")),
        "{ordered:?}"
    );
}
