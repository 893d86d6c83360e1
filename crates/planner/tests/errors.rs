//! A table of broken plans, each with the diagnostic it must produce: code, message
//! (or a distinctive part of it), exact `line:column`, and where a fix can be named,
//! part of the `help`. One test walks the table and reports every case that does not
//! match, by name, before failing.

use awslab_planner::{Diagnostic, LoadError, Severity, SourceFile, check_source};

struct Case {
    name: &'static str,
    yaml: &'static str,
    /// `--var` overrides.
    vars: &'static [(&'static str, &'static str)],
    code: &'static str,
    severity: Severity,
    message: &'static str,
    at: (usize, usize),
    /// A part of the help line; empty to not check it.
    help: &'static str,
}

const fn error(
    name: &'static str,
    code: &'static str,
    at: (usize, usize),
    message: &'static str,
    yaml: &'static str,
) -> Case {
    Case {
        name,
        yaml,
        vars: &[],
        code,
        severity: Severity::Error,
        message,
        at,
        help: "",
    }
}

const fn warning(
    name: &'static str,
    code: &'static str,
    at: (usize, usize),
    message: &'static str,
    yaml: &'static str,
) -> Case {
    Case {
        name,
        yaml,
        vars: &[],
        code,
        severity: Severity::Warning,
        message,
        at,
        help: "",
    }
}

impl Case {
    const fn help(mut self, help: &'static str) -> Case {
        self.help = help;
        self
    }
    const fn vars(mut self, vars: &'static [(&'static str, &'static str)]) -> Case {
        self.vars = vars;
        self
    }
}

/// A role the operator's account may assume, for cases about sessions.
const TRUST_ACCOUNT: &str = "{ Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }";

#[expect(
    clippy::too_many_lines,
    reason = "one table of cases, one case a few lines"
)]
fn cases() -> Vec<Case> {
    // Several plans below repeat TRUST_ACCOUNT inline so that each case reads on its own.
    let _ = TRUST_ACCOUNT;
    vec![
        // --- the file and its top level ---
        error("yaml_syntax_error", "plan::syntax", (3, 9), "the plan is not valid YAML", "\
name: lab
steps:
  user: { iam.user: { name: alice }
"),
        error("top_level_not_a_map", "plan::invalid_value", (1, 1), "a plan is a map with `name` and `steps`, not a list", "\
- name: lab
- steps: {}
"),
        error("unknown_top_level_key_suggests_closest", "plan::unknown_key", (2, 1), "unknown key `descripton` at the top of the plan", "\
name: lab
descripton: a typo
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
")
        .help("did you mean `description`?"),
        error("missing_name", "plan::missing_key", (1, 1), "the plan has no `name`", "\
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
"),
        error("missing_steps", "plan::missing_key", (1, 1), "the plan has no `steps`", "\
name: lab
description: nothing to do
"),
        // --- steps and kinds ---
        error("unknown_step_kind_suggests_closest", "plan::unknown_kind", (4, 5), "unknown step kind `iam.usr` in step `user`", "\
name: lab
steps:
  user:
    iam.usr: { name: alice }
")
        .help("did you mean `iam.user`?"),
        error("step_with_two_kinds", "plan::multiple_kinds", (5, 5), "step `both` has more than one kind: `iam.user`, `s3.bucket`", "\
name: lab
steps:
  both:
    iam.user: { name: alice }
    s3.bucket: { name: lab-bucket-x }
"),
        error("step_with_no_kind", "plan::no_kind", (3, 3), "step `empty` has no kind", "\
name: lab
steps:
  empty:
    description: nothing here
"),
        error("unknown_key_in_kind_suggests_closest", "plan::unknown_key", (4, 30), "unknown key `acess_key` in `iam.user` step `user`", "\
name: lab
steps:
  user:
    iam.user: { name: alice, acess_key: true }
")
        .help("did you mean `access_key`?"),
        error("missing_required_key", "plan::missing_key", (4, 5), "`iam.user` step `user` needs `name`", "\
name: lab
steps:
  user:
    iam.user: { access_key: true }
")
        .help("add `name:` under `iam.user:`"),
        error("list_where_a_string_is_expected", "plan::invalid_value", (4, 23), "in step `user`", "\
name: lab
steps:
  user:
    iam.user: { name: [alice, bob] }
"),
        error("value_that_is_not_a_duration", "plan::invalid_value", (4, 40), "`soon` is not a duration", "\
name: lab
steps:
  session:
    sts.get_session_token: { duration: soon }
"),
        error("duplicate_step_name", "plan::duplicate_step", (5, 3), "step `bucket` is defined twice", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
  bucket:
    s3.bucket: { name: lab-bucket-y }
"),
        error("reserved_step_name", "plan::invalid_step_name", (3, 3), "`vars` is reserved and cannot name a step", "\
name: lab
steps:
  vars:
    s3.bucket: { name: lab-bucket-x }
"),
        error("invalid_step_name", "plan::invalid_step_name", (3, 3), "`9lives` is not a valid step name", "\
name: lab
steps:
  9lives:
    s3.bucket: { name: lab-bucket-x }
"),
        // --- references ---
        error("unknown_step_reference_suggests_closest", "plan::unknown_reference", (6, 60), "`${usr.arn}` in step `check` refers to unknown step `usr`", "\
name: lab
steps:
  user:
    iam.user: { name: alice }
  check:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${usr.arn}\" } }
")
        .help("did you mean `user`?"),
        error("unknown_output_field_suggests_closest", "plan::unknown_output", (6, 60), "`iam.user` step `user` has no output `arm`", "\
name: lab
steps:
  user:
    iam.user: { name: alice }
  check:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${user.arm}\" } }
")
        .help("did you mean `arn`?"),
        error("access_key_id_of_a_user_without_access_key", "plan::unknown_output", (6, 63), "step `user` creates no access key, so it has no `access_key_id`", "\
name: lab
steps:
  user:
    iam.user: { name: alice }
  check:
    verify: { call: sts.GetCallerIdentity, expect: { UserId: \"${user.access_key_id}\" } }
")
        .help("add `access_key: true` to the user"),
        error("unknown_variable_suggests_closest", "plan::unknown_var", (5, 25), "unknown variable `bukket` in step `bucket`", "\
name: lab
vars: { bucket: lab-bucket-x }
steps:
  bucket:
    s3.bucket: { name: \"${vars.bukket}\" }
")
        .help("did you mean `bucket`?"),
        error("var_override_of_unknown_variable", "plan::unknown_var", (2, 1), "`--var bukket=...` names no variable of this plan", "\
name: lab
vars: { bucket: lab-bucket-x }
steps:
  bucket:
    s3.bucket: { name: \"${vars.bucket}\" }
")
        .vars(&[("bukket", "other")])
        .help("did you mean `bucket`?"),
        error("unclosed_reference", "plan::bad_reference", (4, 29), "`${` is not closed", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: \"lab-${vars.bucket\" }
"),
        error("reference_without_field", "plan::bad_reference", (6, 60), "`${user}` names no field", "\
name: lab
steps:
  user:
    iam.user: { name: alice }
  check:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${user}\" } }
"),
        error("variable_referring_to_a_step", "plan::bad_reference", (2, 15), "variable `arn` refers to step `user`", "\
name: lab
vars: { arn: \"${user.arn}\" }
steps:
  user:
    iam.user: { name: alice }
"),
        // --- the graph ---
        error("cycle_of_two_steps", "plan::cycle", (3, 3), "steps form a cycle: `a` needs `b` needs `a`", "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
    needs: [b]
  b:
    s3.bucket: { name: lab-b-x }
    needs: [a]
")
        .help("remove `a` from the `needs` of step `b` (at lab.yaml:8:13)"),
        error("cycle_of_three_steps", "plan::cycle", (3, 3), "steps form a cycle: `a` needs `b` needs `c` needs `a`", "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
    needs: [b]
  b:
    s3.bucket: { name: lab-b-x }
    needs: [c]
  c:
    s3.object: { bucket: \"${a.name}\", key: k, body: x }
")
        .help("remove `${a.name}` from step `c` (at lab.yaml:10:27)"),
        error("step_referring_to_its_own_output", "plan::cycle", (4, 46), "step `object` refers to its own output `${object.key}`", "\
name: lab
steps:
  object:
    s3.object: { bucket: lab-bucket-x, key: \"${object.key}\", body: x }
"),
        // --- identities ---
        error("as_names_unknown_step", "plan::unknown_reference", (6, 19), "step `check` acts as unknown identity `usr`", "\
name: lab
steps:
  user:
    iam.user: { name: alice, access_key: true }
  check:
    verify: { as: usr, call: sts.GetCallerIdentity, expect: allow }
")
        .help("did you mean `user`?"),
        error("as_names_step_without_credentials", "plan::not_an_identity", (6, 19), "step `bucket` (s3.bucket) has no credentials to act as", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
  check:
    verify: { as: bucket, call: sts.GetCallerIdentity, expect: allow }
"),
        error("as_names_user_without_access_key", "plan::not_an_identity", (6, 19), "step `user` (iam.user) has no credentials to act as", "\
name: lab
steps:
  user:
    iam.user: { name: alice }
  check:
    verify: { as: user, call: sts.GetCallerIdentity, expect: allow }
")
        .help("add `access_key: true` to step `user`"),
        error("profile_with_operator_credentials", "plan::not_an_identity", (4, 45), "step `profile` cannot write the operator's own credentials", "\
name: lab
steps:
  profile:
    aws.profile: { name: mine, credentials: operator }
"),
        error("needs_names_unknown_step", "plan::unknown_reference", (6, 13), "`needs` of step `check` names unknown step `bukcet`", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
  check:
    needs: [bukcet]
    verify: { call: sts.GetCallerIdentity, expect: allow }
")
        .help("did you mean `bucket`?"),
        // --- STS durations and callers ---
        error("assume_role_duration_below_15_minutes", "plan::duration", (4, 98), "AssumeRole accepts 15m to 12h, but step `session` asks for 10m", "\
name: lab
steps:
  session:
    sts.assume_role: { role_arn: \"arn:aws:iam::123456789012:role/r\", session_name: s1, duration: 10m }
"),
        error("assume_role_duration_above_12_hours", "plan::duration", (4, 98), "AssumeRole accepts 15m to 12h, but step `session` asks for 13h", "\
name: lab
steps:
  session:
    sts.assume_role: { role_arn: \"arn:aws:iam::123456789012:role/r\", session_name: s1, duration: 13h }
"),
        error("assume_role_over_role_default_maximum", "plan::duration", (9, 17), "role step `role` allows sessions of at most 1h (the default maximum, as the role sets no `max_session_duration`)", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
  session:
    sts.assume_role:
      duration: 4h
      role_arn: ${role.arn}
      session_name: s1
")
        .help("set `max_session_duration: 4h` on step `role`"),
        error("assume_role_over_role_explicit_maximum", "plan::duration", (10, 17), "role step `role` allows sessions of at most 2h (its `max_session_duration`)", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      max_session_duration: 2h
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
  session:
    sts.assume_role:
      duration: 3h
      role_arn: ${role.arn}
      session_name: s1
"),
        error("role_chaining_over_one_hour", "plan::duration", (11, 89), "(role chaining), which AWS limits to 1h, but asks for 2h", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      max_session_duration: 4h
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
  first:
    sts.assume_role: { role_arn: \"${role.arn}\", session_name: one }
  second:
    sts.assume_role: { as: first, role_arn: \"${role.arn}\", session_name: two, duration: 2h }
"),
        error("session_token_with_temporary_credentials", "plan::caller", (6, 34), "GetSessionToken needs an IAM user's long-term credentials, but step `again` calls it as `first` (sts.get_session_token)", "\
name: lab
steps:
  first:
    sts.get_session_token: {}
  again:
    sts.get_session_token: { as: first }
"),
        error("session_token_over_36_hours", "plan::duration", (4, 40), "GetSessionToken accepts 15m to 36h, but step `session` asks for 37h", "\
name: lab
steps:
  session:
    sts.get_session_token: { duration: 37h }
"),
        error("federation_token_over_36_hours", "plan::duration", (4, 56), "GetFederationToken accepts 15m to 36h, but step `guest` asks for 40h", "\
name: lab
steps:
  guest:
    sts.get_federation_token: { name: guest, duration: 40h, policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:ListBucket, Resource: \"*\" } } }
"),
        error("max_session_duration_below_one_hour", "plan::duration", (6, 29), "a role's maximum session duration accepts 1h to 12h, but step `role` asks for 30m", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      max_session_duration: 30m
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
"),
        // --- names ---
        error("invalid_user_name", "plan::invalid_name", (4, 23), "IAM user name `alice smith` contains ` `, which AWS does not allow", "\
name: lab
steps:
  user:
    iam.user: { name: \"alice smith\" }
"),
        error("user_name_from_variable_is_checked", "plan::invalid_name", (5, 23), "IAM user name `ali/ce` contains `/`", "\
name: lab
vars: { who: ali/ce }
steps:
  user:
    iam.user: { name: \"${vars.who}\" }
"),
        error("role_name_too_long", "plan::invalid_name", (5, 13), "IAM role name `rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr` has 65 characters; AWS allows 1 to 64", "\
name: lab
steps:
  role:
    iam.role:
      name: rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
"),
        error("session_name_too_short", "plan::invalid_name", (4, 84), "role session name `x` has 1 characters; AWS allows 2 to 64", "\
name: lab
steps:
  session:
    sts.assume_role: { role_arn: \"arn:aws:iam::123456789012:role/r\", session_name: x }
"),
        error("bucket_name_with_uppercase", "plan::invalid_name", (4, 24), "bucket name `Lab-Bucket`", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: Lab-Bucket }
"),
        error("bucket_name_too_short", "plan::invalid_name", (4, 24), "bucket name `ab`", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: ab }
"),
        error("bucket_name_like_an_ip_address", "plan::invalid_name", (4, 24), "bucket name `192.168.1.1`", "\
name: lab
steps:
  bucket:
    s3.bucket: { name: 192.168.1.1 }
"),
        error("stack_name_starting_with_a_digit", "plan::invalid_name", (4, 24), "stack name `1stack` is not valid", "\
name: lab
steps:
  stack:
    cfn.stack: { name: 1stack, template: ../../plans/templates/role-and-bucket.yaml }
"),
        error("federated_user_name_too_short", "plan::invalid_name", (4, 39), "federated user name `g` has 1 characters; AWS allows 2 to 32", "\
name: lab
steps:
  guest:
    sts.get_federation_token: { name: g, policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:ListBucket, Resource: \"*\" } } }
"),
        // --- policy documents ---
        error("statement_without_effect", "plan::policy", (10, 13), "permissions policy of step `may` at `Statement.0`: missing required field `Effect`", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: \"2012-10-17\"
        Statement:
          - Action: s3:ListBucket
            Resource: \"*\"
"),
        error("statement_with_bad_effect", "plan::policy", (10, 13), "at `Statement.0.Effect`: invalid effect `allow`", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: \"2012-10-17\"
        Statement:
          - Effect: allow
            Action: s3:ListBucket
            Resource: \"*\"
"),
        error("statement_without_action", "plan::policy", (10, 13), "at `Statement.0`: policy statement must contain actions", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Resource: \"*\"
"),
        error("principal_in_an_identity_policy", "plan::policy", (11, 13), "policy document should not specify a principal", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal: \"*\"
            Action: s3:ListBucket
            Resource: \"*\"
"),
        error("trust_policy_without_principal", "plan::policy", (9, 13), "trust policy of step `role` at `Statement.0`: missing required field `Principal`", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
"),
        error("resource_in_a_trust_policy", "plan::policy", (12, 13), "a trust policy has no `Resource`: the resource is the role itself", "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }
            Action: sts:AssumeRole
            Resource: \"*\"
"),
        error("unknown_statement_key_suggests_closest", "plan::policy", (12, 13), "unknown field `Resources`", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Action: s3:ListBucket
            Resources: \"*\"
")
        .help("`Resource` or `NotResource`"),
        error("policy_version_that_yaml_reads_as_a_date", "plan::policy", (8, 9), "invalid policy version `2012-10-18`", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document:
        Version: 2012-10-18
        Statement:
          - { Effect: Allow, Action: s3:ListBucket, Resource: \"*\" }
"),
        error("policy_document_as_invalid_json_string", "plan::policy", (7, 17), "the policy document is not valid JSON", "\
name: lab
steps:
  may:
    iam.user_policy:
      user: alice
      name: P
      document: '{\"Version\": \"2012-10-17\", \"Statement\": ['
"),
        // --- trust ---
        error("trust_policy_naming_another_user", "plan::trust", (13, 5), "the trust policy of role step `role` (set by step `role`) does not let `ali` (arn:aws:iam::ACCOUNT:user/ali) assume the role", "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:user/bob\" }, Action: sts:AssumeRole }
  session:
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1 }
"),
        warning("trust_policy_with_condition_is_undecided", "plan::trust", (13, 5), "cannot tell before the run whether the trust policy of role step `role` lets `ali` assume the role (it has conditions)", "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole, Condition: { IpAddress: { \"aws:SourceIp\": 10.0.0.0/8 } } }
  session:
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1 }
"),
        error("trust_policy_external_id_that_does_not_match", "plan::trust", (13, 5), "does not let `ali`", "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole, Condition: { StringEquals: { \"sts:ExternalId\": right } } }
  session:
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1, external_id: wrong }
"),
        warning("trust_update_not_ordered_before_assume", "plan::trust_order", (15, 5), "trust policy update `narrow` may run before or after step `session`", "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: lab-role
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole } }
  narrow:
    iam.trust_policy:
      role: ${role.name}
      document: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole } }
  session:
    needs: [role]
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1 }
")
        .help("add `needs: [narrow]` to step `session`"),
        // --- verify ---
        error("unknown_verify_call_suggests_closest", "plan::unknown_call", (4, 21), "`verify` step `check` cannot call `s3.ListBucket`", "\
name: lab
steps:
  check:
    verify: { call: s3.ListBucket, expect: allow }
")
        .help("did you mean `s3.ListBuckets`?"),
        error("verify_missing_required_param", "plan::call_params", (4, 21), "`s3.ListObjectsV2` needs parameter `Bucket` (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: s3.ListObjectsV2, expect: allow }
"),
        error("verify_unknown_param_suggests_closest", "plan::call_params", (4, 60), "`s3.ListObjectsV2` has no parameter `Prefx` (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: s3.ListObjectsV2, params: { Bucket: b, Prefx: p }, expect: allow }
")
        .help("did you mean `Prefix`?"),
        // --- verify: any operation of the call table (issue 17 §1) ---
        error("verify_call_suggests_from_every_operation", "plan::unknown_call", (4, 21), "`verify` step `check` cannot call `s3.PutObjekt`", "\
name: lab
steps:
  check:
    verify: { call: s3.PutObjekt, params: { Bucket: b, Key: k }, expect: allow }
")
        .help("did you mean `s3.PutObject`?"),
        error("verify_param_of_the_wrong_type", "plan::call_params", (4, 69), "`MaxKeys` of `s3.ListObjectsV2` takes an integer, not a string (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: s3.ListObjectsV2, params: { Bucket: b, MaxKeys: many }, expect: allow }
"),
        error("verify_param_not_in_the_enum", "plan::call_params", (4, 69), "`publik` is not a value `ACL` of `s3.PutObject` takes (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: s3.PutObject, params: { Bucket: b, Key: k, ACL: publik }, expect: allow }
")
        .help("did you mean `public-read`?"),
        error("verify_nested_required_member", "plan::call_params", (4, 68), "`iam.CreateUser` needs parameter `Value` in `Tags[0]` (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: iam.CreateUser, params: { UserName: u, Tags: [ { Key: k } ] }, expect: allow }
"),
        error("verify_refuses_a_change_it_cannot_tear_down", "plan::unknown_call", (4, 21), "`verify` step `check` cannot call `iam.DeleteUser`: it changes what awslab cannot tear down", "\
name: lab
steps:
  check:
    verify: { call: iam.DeleteUser, params: { UserName: u }, expect: deny }
")
        .help("make the change a step instead"),
        error("verify_access_key_needs_its_user", "plan::call_params", (4, 21), "`iam.CreateAccessKey` in a verify needs parameter `UserName` (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: iam.CreateAccessKey, expect: allow }
")
        .help("so that `down` can delete the key it makes"),
        error("expect_nested_field_not_in_the_answer", "plan::expect", (4, 44), "`iam.GetUser` has no answer field `User.Arm` to match (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: iam.GetUser, expect: { User.Arm: \"*\" } }
")
        .help("did you mean `Arn`?"),
        error("expect_field_not_in_the_answer", "plan::expect", (4, 54), "`sts.GetCallerIdentity` has no answer field `Arm` to match (step `check`)", "\
name: lab
steps:
  check:
    verify: { call: sts.GetCallerIdentity, expect: { Arm: \"*\" } }
")
        .help("did you mean `Arn`?"),
        // --- files and kind-specific rules ---
        error("cfn_template_file_missing", "plan::file", (4, 45), "`template` of step `stack` names `templates/missing.yaml`, which cannot be read", "\
name: lab
steps:
  stack:
    cfn.stack: { name: lab-stack, template: templates/missing.yaml }
"),
        error("web_identity_without_token", "plan::missing_key", (4, 5), "step `web` needs exactly one of `token`, `token_file` and `sandbox_token`", "\
name: lab
steps:
  web:
    sts.assume_role_with_web_identity: { role_arn: \"arn:aws:iam::123456789012:role/r\", session_name: web }
"),
        warning("federation_token_without_policy", "plan::no_session_policy", (4, 5), "step `guest` gets a federation token without a session policy, so its credentials have no permissions", "\
name: lab
steps:
  guest:
    sts.get_federation_token: { name: guest }
"),
    ]
}

/// Every diagnostic of a plan: the errors of a plan that fails, or the warnings of one
/// that loads.
fn diagnostics(case: &Case) -> Result<(bool, Vec<Diagnostic>), String> {
    let overrides: Vec<(String, String)> = case
        .vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    match check_source(SourceFile::new("lab.yaml", case.yaml), &overrides) {
        Ok(sealed) => Ok((true, sealed.warnings)),
        Err(LoadError::Invalid { diagnostics, .. }) => Ok((false, diagnostics)),
        Err(other) => Err(format!("unexpected load error: {other}")),
    }
}

fn describe(found: &[Diagnostic]) -> String {
    found
        .iter()
        .map(|d| {
            format!(
                "    {} (help: {})",
                d.one_line(),
                d.help.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_case(case: &Case) -> Result<(), String> {
    let (loaded, found) = diagnostics(case)?;
    let expect_loaded = case.severity == Severity::Warning;
    if loaded != expect_loaded {
        let what = if loaded {
            "loaded but should have failed"
        } else {
            "failed but should have loaded with a warning"
        };
        return Err(format!(
            "the plan {what}; diagnostics:\n{}",
            describe(&found)
        ));
    }
    let matches = |d: &&Diagnostic| {
        d.code == case.code
            && d.severity == case.severity
            && d.message.contains(case.message)
            && d.line_column() == case.at
            && (case.help.is_empty() || d.help.as_deref().is_some_and(|h| h.contains(case.help)))
    };
    if found.iter().any(|d| matches(&d)) {
        Ok(())
    } else {
        Err(format!(
            "expected {:?} [{}] at {}:{} with message containing {:?}{}; found:\n{}",
            case.severity,
            case.code,
            case.at.0,
            case.at.1,
            case.message,
            if case.help.is_empty() {
                String::new()
            } else {
                format!(" and help containing {:?}", case.help)
            },
            describe(&found)
        ))
    }
}

#[test]
fn errors_for_each_broken_plan_in_the_table() {
    let cases = cases();
    let mut names = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(
            names.insert(case.name),
            "case name `{}` is used twice",
            case.name
        );
        if let Err(why) = check_case(case) {
            failures.push(format!("case `{}`: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(
        cases.len() >= 35,
        "the table should cover at least 35 broken plans"
    );
}

fn load_errors(yaml: &str) -> Vec<Diagnostic> {
    match check_source(SourceFile::new("lab.yaml", yaml), &[]) {
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        Ok(_) => panic!("the plan loaded, but it has mistakes:\n{yaml}"),
        Err(other) => panic!("unexpected load error: {other}"),
    }
}

fn summary(found: &[Diagnostic]) -> Vec<(&'static str, (usize, usize))> {
    found.iter().map(|d| (d.code, d.line_column())).collect()
}

#[test]
fn reports_every_unknown_key_of_a_step_and_of_every_step() {
    let found = load_errors(
        "\
name: lab
steps:
  user:
    iam.user: { name: alice, acess_key: true, pth: /, tagz: {} }
  bucket:
    s3.bucket: { name: lab-bucket-x, polcy: {} }
",
    );
    let unknown: Vec<(&str, (usize, usize))> = found
        .iter()
        .filter(|d| d.code == "plan::unknown_key")
        .map(|d| (d.message.as_str(), d.line_column()))
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("unknown key `acess_key` in `iam.user` step `user`", (4, 30)),
            ("unknown key `pth` in `iam.user` step `user`", (4, 47)),
            ("unknown key `tagz` in `iam.user` step `user`", (4, 55)),
            ("unknown key `polcy` in `s3.bucket` step `bucket`", (6, 38)),
        ],
        "all: {:#?}",
        summary(&found)
    );
}

#[test]
fn duplicate_step_points_back_at_the_first_definition() {
    let yaml = "\
name: lab
steps:
  bucket:
    s3.bucket: { name: lab-bucket-x }
  bucket:
    s3.bucket: { name: lab-bucket-y }
";
    let found = load_errors(yaml);
    let duplicate = found
        .iter()
        .find(|d| d.code == "plan::duplicate_step")
        .map(|d| (d.line_column(), d.related.clone()));
    let first = yaml.find("bucket:").unwrap_or_default();
    assert_eq!(
        duplicate.map(|(at, related)| (
            at,
            related
                .iter()
                .map(|(span, text)| (span.offset, text.clone()))
                .collect::<Vec<_>>()
        )),
        Some(((5, 3), vec![(first, "first defined here".to_owned())]))
    );
}

#[test]
fn cycle_points_at_the_edge_to_break() {
    let yaml = "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
    needs: [b]
  b:
    s3.object: { bucket: \"${a.name}\", key: k, body: x }
";
    let found = load_errors(yaml);
    let cycle: Vec<_> = found
        .iter()
        .filter(|d| d.code == "plan::cycle")
        .map(|d| {
            (
                d.message.clone(),
                d.related
                    .iter()
                    .map(|(span, _)| span.offset)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let edge = yaml.find("${a.name}").unwrap_or_default();
    assert_eq!(
        cycle,
        vec![(
            "steps form a cycle: `a` needs `b` needs `a`".to_owned(),
            vec![edge]
        )]
    );
}

#[test]
fn reports_five_independent_mistakes_sorted_by_position() {
    let found = load_errors(
        "\
name: lab
steps:
  user:
    iam.user: { name: \"alice smith\", access_key: true }
  check:
    verify: { as: usr, call: sts.GetCallerIdentity, expect: allow }
  bucket:
    s3.bucket: { name: Lab-Bucket }
  session:
    sts.get_session_token: { as: user, duration: 40h }
  list:
    verify: { as: user, call: s3.ListBucket, expect: AccessDenied }
",
    );
    assert_eq!(
        summary(&found),
        vec![
            ("plan::invalid_name", (4, 23)),
            ("plan::unknown_reference", (6, 19)),
            ("plan::invalid_name", (8, 24)),
            ("plan::duration", (10, 50)),
            ("plan::unknown_call", (12, 31)),
        ]
    );
}

#[test]
fn trust_policy_with_condition_warns_but_loads() {
    let yaml = "\
name: lab
steps:
  ali:
    iam.user: { name: ali, access_key: true }
  role:
    iam.role:
      name: lab-role
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - { Effect: Allow, Principal: { AWS: \"${ali.arn}\" }, Action: sts:AssumeRole, Condition: { Bool: { \"aws:MultiFactorAuthPresent\": \"true\" } } }
  session:
    sts.assume_role: { as: ali, role_arn: \"${role.arn}\", session_name: s1 }
";
    let sealed = check_source(SourceFile::new("lab.yaml", yaml), &[]).map_err(|e| format!("{e:?}"));
    let warnings = sealed.map(|s| {
        s.warnings
            .iter()
            .map(|d| (d.code, d.severity, d.line_column()))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        warnings,
        Ok(vec![("plan::trust", Severity::Warning, (13, 5))])
    );
}
