//! `verify` reaches every operation of the call table: plans that call any of them,
//! with typed params, references where values are known only at run time, and the
//! new expectations (`deny`, a list of codes) load without a diagnostic.

use std::fmt::Write as _;

use awslab_planner::{SourceFile, check_source};

fn loads(yaml: &str) {
    let result = check_source(SourceFile::new("lab.yaml", yaml), &[]);
    assert!(result.is_ok(), "{yaml}\n{:?}", result.err());
}

#[test]
fn any_operation_with_typed_params_and_references_loads() {
    loads(
        "\
name: lab
vars: { max: \"3\" }
steps:
  put:
    verify: { call: s3.PutObject, params: { Bucket: b, Key: k, Body: hello, Metadata: { team: red } }, expect: allow }
  list:
    verify: { call: s3.ListObjectsV2, params: { Bucket: b, MaxKeys: \"${vars.max}\", FetchOwner: true }, expect: { Contents.Key: \"*k*\", KeyCount: \"1\" } }
  stacks:
    verify: { call: cloudformation.DescribeStacks, expect: [ValidationError, AccessDenied] }
  sim:
    verify: { call: iam.SimulatePrincipalPolicy, params: { PolicySourceArn: \"arn:aws:iam::${account.id}:user/u\", ActionNames: [s3:GetObject] }, expect: deny }
  who:
    verify: { call: sts.AssumeRole, params: { RoleArn: \"arn:aws:iam::${account.id}:role/r\", RoleSessionName: s, DurationSeconds: 900 }, expect: { Credentials.AccessKeyId: \"ASIA*\", Arn: \"*\" } }
  user:
    verify: { call: iam.CreateUser, params: { UserName: u, Tags: [ { Key: team, Value: red } ] }, expect: { User.UserName: u } }
",
    );
}

#[test]
fn every_call_of_the_table_is_accepted_by_name() {
    // Every reading or tearable operation validates when its required params are given.
    let mut yaml = String::from("name: lab\nsteps:\n");
    let mut count = 0;
    for call in awslab_apimodel::Call::all() {
        if call.effect() == awslab_apimodel::Effect::Changes {
            continue;
        }
        let required: Vec<String> = call
            .operation
            .input
            .as_deref()
            .and_then(|s| call.service.shape(s))
            .map(|shape| {
                shape
                    .required
                    .iter()
                    .map(|name| format!("{name}: \"${{vars.any}}\""))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            yaml,
            "  c{count}:\n    verify: {{ call: {}, params: {{ {} }}, expect: allow }}",
            call.name(),
            required.join(", ")
        );
        count += 1;
    }
    yaml = yaml.replace("name: lab\n", "name: lab\nvars: { any: x }\n");
    assert!(count > 150, "{count}");
    let result = check_source(SourceFile::new("lab.yaml", yaml.as_str()), &[]);
    // Structures and lists given as a string are type errors; only those may appear.
    if let Err(error) = result {
        let text = format!("{error:?}");
        assert!(
            !text.contains("unknown_call") && !text.contains("has no parameter"),
            "{text}"
        );
    }
}
