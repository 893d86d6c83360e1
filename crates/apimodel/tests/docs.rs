//! `docs/verify-calls.md` is the call table as `verify` knows it: every operation,
//! its required params, the IAM action it is authorized as and what a verify of it
//! leaves behind. Generated from the same models the planner and executor use; this
//! test fails when they drift.

use std::fmt::Write as _;
use std::path::Path;

use awslab_apimodel::{Call, Creates, Effect, models};

const REGENERATE: &str =
    "run `AWSLAB_REGENERATE=1 cargo test -p awslab-apimodel --test docs` to regenerate it";

fn render() -> String {
    let mut out = String::from(
        "# Calls a `verify` can make\n\n\
         Generated from awslab's call table (`crates/apimodel/models.json`, from botocore's\n\
         service models); do not edit. Params are the operation's input members, by their\n\
         API names; answer fields are its output members. A verify may make a call that\n\
         reads, or one that creates what `down` removes; calls that change anything else\n\
         are refused at validate. See the `verify` section of [`plan-format.md`](plan-format.md).\n",
    );
    let _ = writeln!(out, "\nbotocore {}\n", models().botocore);
    for (service, model) in models().iter() {
        let _ = writeln!(
            out,
            "## `{service}` ({} protocol, API version {})\n",
            match model.protocol {
                awslab_apimodel::Protocol::Query => "query",
                awslab_apimodel::Protocol::RestXml => "REST-XML",
            },
            model.api_version
        );
        out.push_str(
            "| call | required params | IAM action | a verify of it |\n|---|---|---|---|\n",
        );
        for call in Call::all().filter(|c| c.service_name == service) {
            let required = call
                .operation
                .input
                .as_deref()
                .and_then(|s| call.service.shape(s))
                .map(|s| {
                    s.required
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let effect = match call.effect() {
                Effect::Reads => "reads".to_owned(),
                Effect::Creates(creates) => format!(
                    "creates {} (torn down)",
                    match creates {
                        Creates::S3Object => "an object",
                        Creates::IamUser => "a user",
                        Creates::IamRole => "a role",
                        Creates::IamPolicy => "a managed policy",
                        Creates::IamAccessKey => "an access key",
                        Creates::IamUserPolicy => "an inline user policy",
                    }
                ),
                Effect::Changes => "refused".to_owned(),
            };
            let _ = writeln!(
                out,
                "| `{}` | {required} | `{}` | {effect} |",
                call.name(),
                call.action()
            );
        }
        out.push('\n');
    }
    out
}

#[test]
fn docs_list_the_call_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify-calls.md");
    let expected = render();
    if std::env::var_os("AWSLAB_REGENERATE").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "docs/verify-calls.md differs from the call table: {REGENERATE}"
    );
}
