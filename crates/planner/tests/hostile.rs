//! A table of hostile and malformed plans, each with the code and location it must
//! get: budgets crossed, text that is not UTF-8, YAML tags, names and keys of any
//! length, policy documents with repeated keys or over IAM's quotas, files outside
//! the plan's folder, and values AWS would refuse. Every case must end in a located
//! error (never a panic, never an accepted plan), and every diagnostic must render
//! with miette in a bounded number of bytes.
//!
//! Plans that need files run in a temporary folder holding a template, a folder, a
//! template over `CloudFormation`'s limit and a symlink pointing out of the folder.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use awslab_planner::{LoadError, LoadOptions, Severity, SourceFile, check_source_with};

/// Where the error must be.
#[derive(Clone, Copy)]
enum At {
    /// Line and column (1-based, columns in characters).
    LineCol(usize, usize),
    /// The first occurrence of this text.
    Find(&'static str),
    /// The last occurrence of this text.
    FindLast(&'static str),
    /// So many characters after the first occurrence of this text.
    FindPlus(&'static str, usize),
}

struct Case {
    name: &'static str,
    text: Vec<u8>,
    code: &'static str,
    at: At,
    options: LoadOptions,
}

fn case(name: &'static str, code: &'static str, at: At, text: impl Into<Vec<u8>>) -> Case {
    Case {
        name,
        text: text.into(),
        code,
        at,
        options: LoadOptions::default(),
    }
}

impl Case {
    fn vars(mut self, vars: &[(&str, &str)]) -> Case {
        self.options.overrides = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self
    }
}

const ROLE: &str = "    iam.role:\n      name: lab-role\n      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }\n";

fn plan_with(steps: &str) -> String {
    format!("name: lab\nsteps:\n{steps}")
}

/// `${vars.n0}${vars.n1}...`: 60,000 references to variables that do not exist.
fn many_unknown_references() -> String {
    (0..60_000).fold(String::new(), |mut out, i| {
        let _ = write!(out, "${{vars.n{i}}}");
        out
    })
}

/// A statement list of `n` statements of about 90 characters each.
fn statements(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let _ = writeln!(
            out,
            "          - {{ Effect: Allow, Action: s3:GetObject, Resource: \"arn:aws:s3:::lab-bucket-x/prefix-{i:05}/*\" }}"
        );
    }
    out
}

#[expect(
    clippy::too_many_lines,
    reason = "one table of cases, one case a few lines"
)]
fn cases() -> Vec<Case> {
    let hostname = if Path::new("/etc/hostname").exists() {
        "/etc/hostname"
    } else {
        "/etc/passwd"
    };
    let cases = vec![
        // ---------- budgets ----------
        case("vars_exponential_12_by_10", "plan::budget", At::Find("\"${vars.v9}"), {
            let mut text = String::from("name: lab\nvars:\n");
            for i in 1..12 {
                let _ = writeln!(text, "  v{i}: \"{}\"", format!("${{vars.v{}}}", i + 1).repeat(10));
            }
            text.push_str("  v12: x\nsteps:\n  b:\n    s3.bucket: { name: \"lab-${vars.v1}\" }\n");
            text
        }),
        case("vars_doubling_chain_61", "plan::budget", At::Find("\"${vars.v34}"), {
            let mut text = String::from("name: lab\nvars:\n");
            for i in 1..61 {
                let _ = writeln!(text, "  v{i}: \"${{vars.v{0}}}${{vars.v{0}}}\"", i + 1);
            }
            text.push_str("  v61: \"\"\nsteps:\n  b:\n    s3.bucket: { name: \"lab-x${vars.v1}\" }\n");
            text
        }),
        case("vars_chain_deeper_than_32", "plan::budget", At::Find("\"${vars.v34}"), {
            let mut text = String::from("name: lab\nvars:\n");
            for i in 1..40 {
                let _ = writeln!(text, "  v{i}: \"${{vars.v{}}}\"", i + 1);
            }
            text.push_str("  v40: x\nsteps:\n  b:\n    s3.bucket: { name: \"lab-${vars.v1}\" }\n");
            text
        }),
        case("step_value_repeats_a_large_var", "plan::budget", At::Find("\"${vars.big}${vars.big}"), format!(
            "name: lab\nvars:\n  big: {}\nsteps:\n  b:\n    s3.object: {{ bucket: b, key: k, body: \"{}\" }}\n",
            "y".repeat(60_000),
            "${vars.big}".repeat(4)
        )),
        case("plan_over_one_mebibyte", "plan::budget", At::LineCol(1, 1), format!(
            "name: lab\n# {}\nsteps: {{}}\n",
            "x".repeat(1024 * 1024)
        )),
        case("more_than_20000_nodes", "plan::budget", At::LineCol(3, 39_995), format!(
            "name: lab\nsteps: {{}}\nvars: {{ x: [{}] }}\n",
            "1,".repeat(25_000)
        )),
        case("flow_nesting_deeper_than_32", "plan::budget", At::LineCol(3, 38), format!(
            "name: lab\nsteps: {{}}\nvars: {}{}\n",
            "[".repeat(40),
            "]".repeat(40)
        )),
        case("block_nesting_deeper_than_32", "plan::budget", At::Find("k32:"), {
            let mut text = String::from("name: lab\nsteps: {}\nvars:\n");
            for depth in 1..40 {
                let _ = writeln!(text, "{}k{depth}:", "  ".repeat(depth));
            }
            text
        }),
        case("more_than_500_steps", "plan::budget", At::Find("steps:"), {
            let mut text = String::from("name: lab\nsteps:\n");
            for i in 0..501 {
                let _ = writeln!(text, "  s{i}: {{ s3.bucket: {{ name: lab-bucket-{i} }} }}");
            }
            text
        }),
        case("more_than_500_vars", "plan::budget", At::LineCol(3, 3), {
            let mut text = String::from("name: lab\nvars:\n");
            for i in 0..501 {
                let _ = writeln!(text, "  v{i}: x");
            }
            text.push_str("steps:\n  b: { s3.bucket: { name: lab-bucket-x } }\n");
            text
        }),
        case("var_override_over_64_kib", "plan::budget", At::Find("vars:"), "name: lab\nvars: { user: alice }\nsteps:\n  u: { iam.user: { name: \"${vars.user}\" } }\n")
            .vars(&[("user", Box::leak("a".repeat(70_000).into_boxed_str()))]),
        case("alias_bomb", "plan::budget", At::LineCol(7, 10), "\
name: lab
vars:
  a: &a [x,x,x,x,x,x,x,x,x,x]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
steps: {}
"),
        // A 100,000-byte string doubled six times: 12.7 MB once expanded, from a
        // 100 KB plan; the first `*a4` (line 8) passes the 4 MiB budget.
        case("alias_byte_bomb", "plan::budget", At::LineCol(8, 12), {
            let mut text = format!("name: lab\nvars:\n  a0: &a0 {}\n", "x".repeat(100_000));
            for level in 1..7 {
                let _ = writeln!(text, "  a{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
            }
            text.push_str("steps: {}\n");
            text
        }),
        // 70 values that each repeat a 60,000-byte variable render to 4.2 MB in all:
        // the 70th crosses the plan's 4 MiB budget before any check renders them
        // (15,000 such values made `validate` build 2.6 GB).
        case("values_repeating_a_large_variable", "plan::budget", At::Find("\"${vars.big}-last\""), format!(
            "name: lab\nvars:\n  big: {}\nsteps:\n  u: {{ iam.user: {{ name: alice }} }}\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Action: \"s3:GetObject\", Resource: [{}\"${{vars.big}}-last\"] }} }}\n",
            "x".repeat(60_000),
            "\"${vars.big}\", ".repeat(69)
        )),
        // A policy document whose statement list is an alias of 16 copies of a
        // statement with a 100,000-byte Resource: with the 3.1 MB its anchors hold,
        // the `*s4` in the document passes the plan's 4 MiB of text.
        case("policy_document_alias_byte_bomb", "plan::budget", At::Find("*s4]"), {
            let mut text = format!(
                "name: lab\nvars:\n  s0: &s0 {{ Effect: Allow, Action: \"s3:GetObject\", Resource: \"arn:aws:s3:::b/{}\" }}\n",
                "k".repeat(100_000)
            );
            for level in 1..5 {
                let _ = writeln!(text, "  s{level}: &s{level} [*s{p}, *s{p}]", p = level - 1);
            }
            text.push_str("steps:\n  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: { Version: \"2012-10-17\", Statement: [*s4] }\n");
            text
        }),
        case("stack_template_is_an_alias_bomb", "plan::template_budget", At::Find("bomb.yaml"), plan_with("  s: { cfn.stack: { name: lab, template: bomb.yaml } }\n")),
        case("key_over_1024_characters_in_params", "plan::syntax", At::LineCol(4, 2_062), format!(
            "name: lab\nsteps:\n  v:\n    verify: {{ call: s3.ListBuckets, expect: allow, params: {{ {}: x }} }}\n",
            "k".repeat(2_000)
        )),
        // ---------- names and keys of any length ----------
        case("step_name_of_64_kib", "plan::syntax", At::LineCol(3, 65_539), format!(
            "name: lab\nsteps:\n  {}: {{ s3.bucket: {{ name: lab-bucket-x }} }}\n",
            "s".repeat(65_536)
        )),
        case("top_level_key_of_64_kib", "plan::syntax", At::LineCol(2, 1), format!(
            "name: lab\n{}: 1\nsteps:\n  b: {{ s3.bucket: {{ name: lab-bucket-x }} }}\n",
            "k".repeat(65_536)
        )),
        case("kind_key_of_64_kib", "plan::syntax", At::LineCol(4, 65_570), format!(
            "name: lab\nsteps:\n  b:\n    s3.bucket: {{ name: x-bucket, {}: 1 }}\n",
            "k".repeat(65_536)
        )),
        case("step_kind_of_64_kib", "plan::syntax", At::LineCol(4, 65_541), format!(
            "name: lab\nsteps:\n  b:\n    {}: {{}}\n",
            "k".repeat(65_536)
        )),
        case("bucket_name_of_one_megabyte", "plan::budget", At::LineCol(4, 24), format!(
            "name: lab\nsteps:\n  b:\n    s3.bucket: {{ name: {} }}\n",
            "b".repeat(1_000_000)
        )),
        case("var_name_of_64_kib", "plan::syntax", At::LineCol(3, 65_539), format!(
            "name: lab\nvars:\n  {}: x\nsteps:\n  b: {{ s3.bucket: {{ name: lab-bucket-x }} }}\n",
            "v".repeat(65_536)
        )),
        case("var_name_with_a_dot", "plan::invalid_value", At::Find("a.b"), "name: lab\nvars: { a.b: x }\nsteps:\n  b: { s3.bucket: { name: lab-bucket-x } }\n"),
        case("user_name_of_65_characters", "plan::invalid_name", At::Find("uuu"), format!(
            "name: lab\nsteps:\n  u: {{ iam.user: {{ name: {} }} }}\n",
            "u".repeat(65)
        )),
        case("role_name_with_a_space", "plan::invalid_name", At::Find("\"lab role\""), plan_with("  r:\n    iam.role:\n      name: \"lab role\"\n      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }\n")),
        case("session_name_of_one_character", "plan::invalid_name", At::FindPlus("session_name: x", 14), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: x }}\n"))),
        case("session_name_of_65_characters", "plan::invalid_name", At::Find("sss"), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: {} }}\n", "s".repeat(65)))),
        case("session_name_with_a_slash", "plan::invalid_name", At::Find("a/b"), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: a/b }}\n"))),
        case("external_id_with_a_space", "plan::invalid_name", At::Find("\"my id\""), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: lab, external_id: \"my id\" }}\n"))),
        case("external_id_of_1225_characters", "plan::invalid_name", At::Find("eeee"), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: lab, external_id: {} }}\n", "e".repeat(1225)))),
        case("federated_name_of_33_characters", "plan::invalid_name", At::Find("fff"), plan_with(&format!("  f:\n    sts.get_federation_token: {{ name: {} }}\n", "f".repeat(33)))),
        case("bucket_name_in_capitals", "plan::invalid_name", At::Find("Lab-Bucket"), plan_with("  b: { s3.bucket: { name: Lab-Bucket } }\n")),
        case("policy_name_with_a_star", "plan::invalid_name", At::Find("\"a*b\""), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy: { user: alice, name: \"a*b\", document: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:*, Resource: \"*\" } } }\n")),
        case("stack_name_starting_with_a_digit", "plan::invalid_name", At::Find("1stack"), plan_with("  s: { cfn.stack: { name: 1stack, template: template.yaml } }\n")),
        // ---------- text that is not UTF-8 ----------
        case("latin1_file", "plan::encoding", At::LineCol(3, 30), b"name: lab\nsteps:\n  b: { s3.bucket: { name: caf\xe9-bucket } }\n".to_vec()),
        case("binary_garbage", "plan::encoding", At::LineCol(1, 3), vec![0x7f, 0x45, 0xff, 0xfe, 0x00, 0x01, 0x02, 0x80, 0x81]),
        case("utf16_file", "plan::encoding", At::LineCol(1, 1), vec![0xff, 0xfe, b'n', 0, b'a', 0]),
        case("invalid_byte_late_in_a_line_of_accents", "plan::encoding", At::LineCol(2, 12), b"name: lab\ndescriptio\xc3\xa9\x80 x\nsteps: {}\n".to_vec()),
        case("columns_count_characters_after_accents", "plan::unknown_key", At::Find("nmae"), "name: lab\nsteps:\n  b:\n    s3.bucket: { name: \"ééééé-x\", nmae: y }\n"),
        case("nul_character", "plan::syntax", At::Find("\0"), "name: lab\nsteps: {}\ndescription: a\0b\n"),
        // ---------- YAML tags ----------
        case("binary_tag", "plan::yaml_tag", At::Find("!!binary"), plan_with("  u: { iam.user: { name: !!binary YWxpY2U= } }\n")),
        case("python_object_tag", "plan::yaml_tag", At::Find("!!python/object"), plan_with("  u: { iam.user: { name: !!python/object:os.system [ls] } }\n")),
        case("cloudformation_ref_tag", "plan::yaml_tag", At::Find("!Ref"), plan_with("  u: { iam.user: { name: !Ref UserName } }\n")),
        case("str_tag", "plan::yaml_tag", At::Find("!!str"), plan_with("  u: { iam.user: { name: !!str 123 } }\n")),
        case("tag_on_a_key", "plan::yaml_tag", At::Find("!!binary"), "name: lab\n!!binary bmFtZQ==: x\nsteps: {}\n"),
        case("tag_on_a_map", "plan::yaml_tag", At::Find("!!map"), plan_with("  u: !!map { iam.user: { name: alice } }\n")),
        case("verbatim_tag", "plan::yaml_tag", At::Find("!<tag:yaml.org,2002:str>"), plan_with("  u: { iam.user: { name: !<tag:yaml.org,2002:str> alice } }\n")),
        case("duration_too_large", "plan::invalid_value", At::Find("99999999999999999999999999999h"), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: lab, duration: 99999999999999999999999999999h }}\n"))),
        // ---------- policy documents: keys given twice ----------
        case("yaml_effect_deny_then_allow", "plan::duplicate_key", At::Find("Effect: Allow"), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Deny\n            Action: \"*\"\n            Resource: \"*\"\n            Effect: Allow\n")),
        case("json_effect_deny_then_allow", "plan::duplicate_key", At::Find("\"{"), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: \"{\\\"Version\\\": \\\"2012-10-17\\\", \\\"Statement\\\": [{\\\"Effect\\\": \\\"Deny\\\", \\\"Action\\\": \\\"*\\\", \\\"Resource\\\": \\\"*\\\", \\\"Effect\\\": \\\"Allow\\\"}]}\"\n")),
        case("json_block_scalar_key_twice", "plan::duplicate_key", At::FindLast("\"Action\""), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: |\n        {\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Action\": \"*\"}}\n")),
        case("json_escaped_key_twice", "plan::duplicate_key", At::Find("'{"), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: '{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Deny\", \"Eff\\u0065ct\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}'\n")),
        case("yaml_condition_key_twice", "plan::duplicate_key", At::FindLast("aws:SourceIp"), plan_with("  u: { iam.user: { name: alice } }\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n          Effect: Allow\n          Action: \"*\"\n          Resource: \"*\"\n          Condition:\n            IpAddress:\n              aws:SourceIp: 10.0.0.0/8\n              aws:SourceIp: 0.0.0.0/0\n")),
        case("trust_policy_principal_twice", "plan::duplicate_key", At::FindLast("Principal:"), plan_with("  r:\n    iam.role:\n      name: lab-role\n      trust_policy:\n        Version: \"2012-10-17\"\n        Statement:\n          Effect: Allow\n          Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }\n          Action: sts:AssumeRole\n          Principal: \"*\"\n")),
        case("session_policy_statement_twice", "plan::duplicate_key", At::FindLast("Statement:"), plan_with(&format!("  role:\n{ROLE}  s:\n    sts.assume_role:\n      role_arn: \"${{role.arn}}\"\n      session_name: lab\n      policy:\n        Version: \"2012-10-17\"\n        Statement: {{ Effect: Deny, Action: \"*\", Resource: \"*\" }}\n        Statement: {{ Effect: Allow, Action: \"*\", Resource: \"*\" }}\n"))),
        case("role_inline_policies_name_twice", "plan::duplicate_key", At::FindLast("Read:"), plan_with("  r:\n    iam.role:\n      name: lab-role\n      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }\n      policies:\n        Read: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:GetObject, Resource: \"*\" } }\n        Read: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: \"*\", Resource: \"*\" } }\n")),
        case("stack_parameter_twice", "plan::duplicate_key", At::FindLast("Name:"), plan_with("  s:\n    cfn.stack:\n      name: lab\n      template: template.yaml\n      parameters:\n        Name: a\n        Name: b\n")),
        case("tag_twice", "plan::duplicate_key", At::FindLast("team:"), plan_with("  u:\n    iam.user:\n      name: alice\n      tags:\n        team: a\n        team: b\n")),
        // ---------- policy sizes ----------
        case("inline_user_policy_of_a_megabyte", "plan::policy_size", At::Find("Version"), plan_with(&format!(
            "  u: {{ iam.user: {{ name: alice }} }}\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n          Effect: Allow\n          Action: s3:GetObject\n          Resource: \"arn:aws:s3:::{}\"\n",
            "a".repeat(1_000_000)
        ))),
        case("inline_user_policy_over_2048", "plan::policy_size", At::Find("Version"), plan_with(&format!(
            "  u: {{ iam.user: {{ name: alice }} }}\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            statements(30)
        ))),
        case("user_inline_policies_together_over_2048", "plan::policy_size", At::FindLast("Version"), plan_with(&format!(
            "  u: {{ iam.user: {{ name: alice }} }}\n  p1:\n    iam.user_policy:\n      user: \"${{u.name}}\"\n      name: p1\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n{0}  p2:\n    iam.user_policy:\n      user: alice\n      name: p2\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n{0}",
            statements(13)
        ))),
        case("managed_policy_over_6144", "plan::policy_size", At::Find("Version"), plan_with(&format!(
            "  p:\n    iam.policy:\n      name: p\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            statements(80)
        ))),
        case("role_inline_policies_over_10240", "plan::policy_size", At::FindLast("Version"), plan_with(&format!(
            "  r:\n    iam.role:\n      name: lab-role\n      trust_policy: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::${{account.id}}:root\" }}, Action: sts:AssumeRole }} }}\n  rp:\n    iam.role_policy:\n      role: \"${{r.name}}\"\n      name: big\n      document:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            statements(130)
        ))),
        case("session_policy_over_2048", "plan::policy_size", At::FindLast("Version"), plan_with(&format!(
            "  role:\n{ROLE}  s:\n    sts.assume_role:\n      role_arn: \"${{role.arn}}\"\n      session_name: lab\n      policy:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            statements(30)
        ))),
        case("trust_policy_over_8192", "plan::policy_size", At::FindLast("Version"), plan_with(&format!(
            "  r:\n    iam.role:\n      name: lab-role\n      trust_policy:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            (0..110).fold(String::new(), |mut s, i| {
                let _ = writeln!(s, "          - {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::123456789012:user/user-number-{i:05}\" }}, Action: sts:AssumeRole }}");
                s
            })
        ))),
        case("bucket_policy_over_20_kb", "plan::policy_size", At::Find("Version"), plan_with(&format!(
            "  b:\n    s3.bucket:\n      name: lab-bucket\n      policy:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            (0..250).fold(String::new(), |mut s, i| {
                let _ = writeln!(s, "          - {{ Effect: Allow, Principal: \"*\", Action: s3:GetObject, Resource: \"arn:aws:s3:::lab-bucket/prefix-number-{i:05}/*\" }}");
                s
            })
        ))),
        case("federation_session_policy_over_2048", "plan::policy_size", At::Find("Version"), plan_with(&format!(
            "  f:\n    sts.get_federation_token:\n      name: guest\n      policy:\n        Version: \"2012-10-17\"\n        Statement:\n{}",
            statements(30)
        ))),
        // ---------- files outside the plan's folder ----------
        case("template_absolute_path", "plan::file_outside", At::Find("/etc/"), plan_with(&format!("  s: {{ cfn.stack: {{ name: lab, template: {hostname} }} }}\n"))),
        case("object_file_absolute_path", "plan::file_outside", At::Find("/etc/"), plan_with(&format!("  o: {{ s3.object: {{ bucket: b, key: k, file: {hostname} }} }}\n"))),
        case("object_file_dot_dot_escape", "plan::file_outside", At::Find("../outside.txt"), plan_with("  o: { s3.object: { bucket: b, key: k, file: ../outside.txt } }\n")),
        case("object_file_symlink_out", "plan::file_outside", At::Find("link-out"), plan_with("  o: { s3.object: { bucket: b, key: k, file: link-out } }\n")),
        case("token_file_outside", "plan::file_outside", At::Find("../outside.txt"), plan_with(&format!("  role:\n{ROLE}  w:\n    sts.assume_role_with_web_identity: {{ role_arn: \"${{role.arn}}\", session_name: lab, token_file: ../outside.txt }}\n"))),
        case("template_via_a_var_escape", "plan::file_outside", At::Find("\"${vars.t}\""), "name: lab\nvars: { t: ../outside.txt }\nsteps:\n  s: { cfn.stack: { name: lab, template: \"${vars.t}\" } }\n"),
        case("object_file_dev_zero", "plan::file_outside", At::Find("/dev/zero"), plan_with("  o: { s3.object: { bucket: b, key: k, file: /dev/zero } }\n")),
        case("template_is_a_folder", "plan::file", At::Find("subdir"), plan_with("  s: { cfn.stack: { name: lab, template: subdir } }\n")),
        case("template_over_51200_bytes", "plan::file", At::Find("big.yaml"), plan_with("  s: { cfn.stack: { name: lab, template: big.yaml } }\n")),
        case("template_depends_on_the_run", "plan::file", At::Find("\"t-${run.id}.yaml\""), plan_with("  s: { cfn.stack: { name: lab, template: \"t-${run.id}.yaml\" } }\n")),
        case("template_missing", "plan::file", At::Find("missing.yaml"), plan_with("  s: { cfn.stack: { name: lab, template: missing.yaml } }\n")),
        case("object_file_is_a_fifo_or_folder", "plan::file", At::Find("subdir"), plan_with("  o: { s3.object: { bucket: b, key: k, file: subdir } }\n")),
        // ---------- ARNs and tags AWS would refuse ----------
        case("role_arn_not_an_arn", "plan::invalid_arn", At::Find("not-an-arn"), plan_with("  s: { sts.assume_role: { role_arn: not-an-arn, session_name: lab } }\n")),
        case("policy_arn_without_a_name", "plan::invalid_arn", At::Find("\"arn:aws:iam::aws:policy\""), plan_with("  u: { iam.user: { name: alice } }\n  a: { iam.user_policy_attachment: { user: alice, policy_arn: \"arn:aws:iam::aws:policy\" } }\n")),
        case("policy_arn_of_another_service", "plan::invalid_arn", At::Find("\"arn:aws:s3"), plan_with("  u: { iam.user: { name: alice } }\n  a: { iam.user_policy_attachment: { user: alice, policy_arn: \"arn:aws:s3:::my-lab-bucket\" } }\n")),
        case("role_arn_with_a_region", "plan::invalid_arn", At::Find("\"arn:aws:iam:us"), plan_with("  s: { sts.assume_role: { role_arn: \"arn:aws:iam:us-east-1:123456789012:role/lab\", session_name: lab } }\n")),
        case("role_arn_with_a_short_account", "plan::invalid_arn", At::Find("\"arn:aws:iam::12345"), plan_with("  s: { sts.assume_role: { role_arn: \"arn:aws:iam::12345:role/lab-role\", session_name: lab } }\n")),
        case("role_arn_of_a_user", "plan::invalid_arn", At::Find("\"arn:aws:iam::123456789012:user"), plan_with("  s: { sts.assume_role: { role_arn: \"arn:aws:iam::123456789012:user/alice\", session_name: lab } }\n")),
        case("role_arn_unknown_partition", "plan::invalid_arn", At::Find("\"arn:amazon"), plan_with("  s: { sts.assume_role: { role_arn: \"arn:amazon:iam::123456789012:role/lab\", session_name: lab } }\n")),
        case("web_identity_role_arn_not_an_arn", "plan::invalid_arn", At::Find("my-role-please"), plan_with("  w: { sts.assume_role_with_web_identity: { role_arn: my-role-please, session_name: lab, token: abcdefgh } }\n")),
        case("managed_policies_bad_arn", "plan::invalid_arn", At::Find("ReadOnlyAccess"), plan_with("  r:\n    iam.role:\n      name: lab-role\n      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }\n      managed_policies: [ReadOnlyAccess]\n")),
        case("eleven_session_policy_arns", "plan::invalid_arn", At::Find("\"arn:aws:iam::aws:policy/p10"), plan_with(&format!(
            "  role:\n{ROLE}  s:\n    sts.assume_role:\n      role_arn: \"${{role.arn}}\"\n      session_name: lab\n      policy_arns: [{}]\n",
            (0..11).map(|i| format!("\"arn:aws:iam::aws:policy/p{i}\"")).collect::<Vec<_>>().join(", ")
        ))),
        case("tag_key_reserved_by_aws", "plan::invalid_tag", At::Find("x }"), plan_with("  u: { iam.user: { name: alice, tags: { \"aws:owner\": x } } }\n")),
        case("tag_value_of_257_characters", "plan::invalid_tag", At::Find("vvvv"), plan_with(&format!("  u: {{ iam.user: {{ name: alice, tags: {{ team: {} }} }} }}\n", "v".repeat(257)))),
        case("tag_key_of_129_characters", "plan::invalid_tag", At::FindPlus(": x }", 2), plan_with(&format!("  u: {{ iam.user: {{ name: alice, tags: {{ {}: x }} }} }}\n", "k".repeat(129)))),
        case("tag_key_with_a_bang", "plan::invalid_tag", At::Find("x }"), plan_with("  u: { iam.user: { name: alice, tags: { \"team!\": x } } }\n")),
        case("fifty_tags", "plan::invalid_tag", At::Find("iam.user:"), plan_with(&format!(
            "  u:\n    iam.user:\n      name: alice\n      tags: {{ {} }}\n",
            (0..50).map(|i| format!("t{i}: v")).collect::<Vec<_>>().join(", ")
        ))),
        case("needs_given_twice_in_a_step", "plan::duplicate_key", At::FindLast("needs:"), plan_with("  a: { s3.bucket: { name: lab-bucket-a } }\n  b:\n    s3.bucket: { name: lab-bucket-b }\n    needs: [a]\n    needs: []\n")),
        case("role_description_over_1000_characters", "plan::invalid_name", At::Find("ddd"), plan_with(&format!("  r:\n    iam.role:\n      name: lab-role\n      description: {}\n      trust_policy: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::${{account.id}}:root\" }}, Action: sts:AssumeRole }} }}\n", "d".repeat(1_001)))),
        case("policy_description_with_an_emoji", "plan::invalid_name", At::Find("\"lab 🚀\""), plan_with("  p:\n    iam.policy:\n      name: p\n      description: \"lab 🚀\"\n      document: { Version: \"2012-10-17\", Statement: { Effect: Allow, Action: s3:GetObject, Resource: \"*\" } }\n")),
        case("sixty_thousand_unknown_variables", "plan::unknown_var", At::Find("${vars.n0}"), plan_with(&format!(
            "  o:\n    s3.object: {{ bucket: b, key: k, body: \"{}\" }}\n",
            many_unknown_references()
        ))),
        case("two_yaml_documents", "plan::syntax", At::LineCol(4, 1), "name: a\nsteps: {}\n---\nname: b\n"),
        case("duration_as_a_huge_float", "plan::invalid_value", At::Find("99999999999999999999999"), plan_with("  role:\n    iam.role: { name: r, max_session_duration: 99999999999999999999999, trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"*\" }, Action: sts:AssumeRole } } }\n")),
        case("web_identity_unknown_provider", "plan::invalid_value", At::Find("evil.example.com"), plan_with(&format!("  role:\n{ROLE}  w:\n    sts.assume_role_with_web_identity: {{ role_arn: \"${{role.arn}}\", session_name: lab, token: abcdefgh, provider_id: evil.example.com }}\n"))),
        case("stack_parameter_name_with_a_dash", "plan::invalid_name", At::Find("x }"), plan_with("  s: { cfn.stack: { name: lab, template: template.yaml, parameters: { Bucket-Name: x } } }\n")),
        case("secret_var_without_value", "plan::missing_key", At::Find("{ secret: true }"), "name: lab\nvars:\n  token: { secret: true }\nsteps:\n  b: { s3.bucket: { name: lab-bucket-x } }\n"),
        case("secret_in_a_bucket_name", "plan::secret_in_name", At::Find("\"lab-${vars.pin}\""), "name: lab\nvars:\n  pin: { value: abc, secret: true }\nsteps:\n  b: { s3.bucket: { name: \"lab-${vars.pin}\" } }\n"),
        case("secret_in_a_name_through_a_variable", "plan::secret_in_name", At::Find("\"${vars.user}\""), "name: lab\nvars:\n  pin: { value: abc, secret: true }\n  user: \"u-${vars.pin}\"\nsteps:\n  u: { iam.user: { name: \"${vars.user}\" } }\n"),
        case("secret_in_a_name_through_another_step", "plan::secret_in_name", At::Find("\"${u.name}-p\""), "name: lab\nvars:\n  pin: { value: abc, secret: true }\nsteps:\n  u: { iam.user: { name: \"u-${vars.pin}\" } }\n  p: { aws.profile: { name: \"${u.name}-p\", credentials: u } }\n"),
    ];
    cases
}

/// The 41 KB template: 30 anchors over a 40,000-character string, each a
/// list of two aliases of the one before (40,000 × 2^29 bytes once expanded).
fn template_bomb() -> String {
    let mut text = format!("Resources:\n  A0: &a0 {}\n", "x".repeat(40_000));
    for level in 1..30 {
        let _ = writeln!(text, "  A{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
    }
    text
}

/// The folder plans are checked in: a template, a big template, an alias bomb of a
/// template, a folder, a file outside and a symlink to it.
fn lab_dir() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lab = root.path().join("lab");
    std::fs::create_dir_all(lab.join("subdir")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(lab.join("template.yaml"), "Resources: {}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(lab.join("big.yaml"), "#".repeat(51_201)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(lab.join("bomb.yaml"), template_bomb()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.path().join("outside.txt"), "secret").unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.path().join("outside.txt"), lab.join("link-out"))
        .unwrap_or_else(|e| panic!("{e}"));
    (root, lab)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

fn expected(text: &[u8], at: At) -> (usize, usize) {
    let text = String::from_utf8_lossy(text);
    match at {
        At::LineCol(l, c) => (l, c),
        At::Find(needle) => line_col(
            &text,
            text.find(needle)
                .unwrap_or_else(|| panic!("`{needle}` not in the plan")),
        ),
        At::FindPlus(needle, n) => {
            let (line, column) = expected(text.as_bytes(), At::Find(needle));
            (line, column + n)
        }
        At::FindLast(needle) => line_col(
            &text,
            text.rfind(needle)
                .unwrap_or_else(|| panic!("`{needle}` not in the plan")),
        ),
    }
}

/// Loads like `awslab validate` does (bytes from a file), with a panic caught.
fn run(path: &Path, case: &Case) -> Result<Result<awslab_planner::SealedPlan, LoadError>, String> {
    std::fs::write(path, &case.text).unwrap_or_else(|e| panic!("{e}"));
    catch_unwind(AssertUnwindSafe(|| {
        awslab_planner::load_with(path, &case.options)
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

fn render(diagnostic: &dyn miette::Diagnostic) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_context_lines(1);
        let _ = handler.render_report(&mut out, diagnostic);
        out
    }))
    .map_err(|_| "miette panicked while rendering".to_owned())
}

#[test]
fn every_hostile_plan_gets_its_located_error() {
    let (_root, lab) = lab_dir();
    let table = cases();
    assert!(table.len() >= 80, "the table has {} cases", table.len());
    let mut failures = Vec::new();
    for case in &table {
        let path = lab.join(format!("{}.yaml", case.name));
        let outcome = match run(&path, case) {
            Err(panic) => {
                failures.push(format!("{}: panicked: {panic}", case.name));
                continue;
            }
            Ok(outcome) => outcome,
        };
        let diagnostics = match outcome {
            Ok(_) => {
                failures.push(format!("{}: accepted", case.name));
                continue;
            }
            Err(LoadError::Read { error: source, .. }) => {
                failures.push(format!("{}: unlocated read error: {source}", case.name));
                continue;
            }
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        };
        let want = expected(&case.text, case.at);
        for d in &diagnostics {
            let (line, column) = d.line_column();
            if line == 0 || column == 0 {
                failures.push(format!(
                    "{}: diagnostic without a location: {}",
                    case.name,
                    d.one_line()
                ));
            }
            match render(d) {
                Err(panic) => failures.push(format!("{}: {panic}: {}", case.name, d.one_line())),
                Ok(text) if text.len() > 8_000 => failures.push(format!(
                    "{}: rendered diagnostic has {} bytes: {}",
                    case.name,
                    text.len(),
                    d.one_line().chars().take(300).collect::<String>()
                )),
                Ok(_) => {}
            }
        }
        let hit = diagnostics.iter().any(|d| {
            d.code == case.code
                && d.severity == Severity::Error
                && d.line_column() == want
                // miette's own header (or the help, for lines too long to draw)
                // names the same line and column, in characters.
                && render(d).is_ok_and(|text| text.contains(&format!(":{}:{}", want.0, want.1)))
        });
        if !hit {
            let got: Vec<String> = diagnostics
                .iter()
                .map(|d| {
                    let (l, c) = d.line_column();
                    format!(
                        "{} at {l}:{c}: {}",
                        d.code,
                        d.message.chars().take(200).collect::<String>()
                    )
                })
                .collect();
            failures.push(format!(
                "{}: want {} at {}:{}, got [{}]",
                case.name,
                case.code,
                want.0,
                want.1,
                got.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

#[test]
fn a_symlink_inside_the_folder_to_a_file_inside_is_accepted() {
    let (_root, lab) = lab_dir();
    #[cfg(unix)]
    std::os::unix::fs::symlink(lab.join("template.yaml"), lab.join("link-in.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = plan_with("  s: { cfn.stack: { name: lab, template: link-in.yaml } }\n");
    let result = check_source_with(
        SourceFile::new(lab.join("lab.yaml"), text),
        &LoadOptions::default(),
    );
    assert!(result.is_ok(), "{:?}", result.err());
}

#[test]
fn a_template_alias_bomb_is_named_with_its_file_line_and_column() {
    let (_root, lab) = lab_dir();
    let text = plan_with("  s: { cfn.stack: { name: lab, template: bomb.yaml } }\n");
    let Err(LoadError::Invalid { diagnostics, .. }) = check_source_with(
        SourceFile::new(lab.join("lab.yaml"), text),
        &LoadOptions::default(),
    ) else {
        panic!("the bomb was accepted");
    };
    let messages: Vec<String> = diagnostics
        .iter()
        .map(awslab_planner::Diagnostic::one_line)
        .collect();
    // The second `*a5` of `A6` (line 8, column 17) passes 4 MiB.
    assert!(
        messages.iter().any(|m| m.contains(
            "the template of step `s` expands to more than 4194304 bytes after aliases, at `bomb.yaml:8:17`"
        )),
        "{messages:#?}"
    );
}

#[test]
fn allowing_another_folder_lets_a_plan_read_from_it() {
    let (root, lab) = lab_dir();
    let text = plan_with("  o: { s3.object: { bucket: b, key: k, file: ../outside.txt } }\n");
    let refused = check_source_with(
        SourceFile::new(lab.join("lab.yaml"), text.clone()),
        &LoadOptions::default(),
    );
    let Err(LoadError::Invalid { diagnostics, .. }) = refused else {
        panic!("a file outside the folder was accepted");
    };
    let help = diagnostics[0].help.clone().unwrap_or_default();
    assert!(help.contains("--allow-files-from"), "{help}");
    let options = LoadOptions {
        allowed_dirs: vec![root.path().to_path_buf()],
        ..LoadOptions::default()
    };
    let allowed = check_source_with(SourceFile::new(lab.join("lab.yaml"), text), &options);
    assert!(allowed.is_ok(), "{:?}", allowed.err());
}

#[test]
fn a_plan_with_sixty_thousand_problems_reports_a_bounded_number() {
    let text = plan_with(&format!(
        "  o:\n    s3.object: {{ bucket: b, key: k, body: \"{}\" }}\n",
        many_unknown_references()
    ));
    let Err(LoadError::Invalid { diagnostics, .. }) =
        check_source_with(SourceFile::new("lab.yaml", text), &LoadOptions::default())
    else {
        panic!("accepted");
    };
    assert_eq!(
        diagnostics.len(),
        awslab_planner::diagnostics::MAX_DIAGNOSTICS
    );
    let last = diagnostics.last().map(|d| d.code);
    assert_eq!(last, Some("plan::too_many_problems"));
}

#[test]
fn a_trust_policy_between_the_default_and_the_raised_quota_is_a_warning() {
    let (_root, lab) = lab_dir();
    let principals = (0..40).fold(String::new(), |mut out, i| {
        let _ = writeln!(
            out,
            "          - {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::123456789012:user/user-number-{i:05}\" }}, Action: sts:AssumeRole }}"
        );
        out
    });
    let text = plan_with(&format!(
        "  r:\n    iam.role:\n      name: lab-role\n      trust_policy:\n        Version: \"2012-10-17\"\n        Statement:\n{principals}"
    ));
    let sealed = check_source_with(
        SourceFile::new(lab.join("lab.yaml"), text),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let warning = sealed
        .warnings
        .iter()
        .find(|d| d.code == "plan::policy_size");
    let warning = warning.unwrap_or_else(|| panic!("no size warning: {:?}", sealed.warnings));
    assert!(
        warning.message.contains("at most 2048"),
        "{}",
        warning.message
    );
}

#[cfg(unix)]
#[test]
fn a_plan_that_is_a_device_or_folder_is_refused_without_reading_it() {
    for path in ["/dev/zero", "/tmp"] {
        let result = awslab_planner::load_with(Path::new(path), &LoadOptions::default());
        let Err(LoadError::Read { error: source, .. }) = result else {
            panic!("{path} was read as a plan");
        };
        assert!(
            source.to_string().contains("not a regular file"),
            "{source}"
        );
    }
}
