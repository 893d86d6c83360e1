//! Properties of the planner: it never panics, whatever the text; the sealed order of
//! any acyclic plan respects every dependency and holds every step once, with teardown
//! its exact reverse; and closing a loop in such a plan is always a `plan::cycle`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use awslab_planner::{LoadError, SourceFile, StepKind, check_source};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn check(text: &str) -> Result<awslab_planner::SealedPlan, LoadError> {
    check_source(SourceFile::new("lab.yaml", text), &[])
}

// ---------- (a) no panics ----------

fn key() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = [
        "name",
        "steps",
        "vars",
        "needs",
        "as",
        "call",
        "expect",
        "params",
        "document",
        "trust_policy",
        "duration",
        "role_arn",
        "session_name",
        "Statement",
        "Effect",
        "Action",
        "Principal",
        "Resource",
        "operator",
        "user",
        "a",
        "b",
    ]
    .iter()
    .chain(StepKind::LABELS)
    .map(|s| (*s).to_owned())
    .collect();
    prop_oneof![4 => proptest::sample::select(fixed), 1 => "[a-z.]{1,8}"]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9 .:*-]{0,12}".prop_map(Value::String),
        "(\\$\\{[a-z.:*?$ {]{0,10}\\}?|\\$\\$\\{|[a-z-]{0,6}){1,3}".prop_map(Value::String),
        proptest::sample::select(vec![
            "1h",
            "90m",
            "0",
            "999999h",
            "2012-10-17",
            "allow",
            "AccessDenied",
            "${vars.a}",
            "${a.arn}",
            "${b.outputs.X}",
            "${run.id}",
            "${account.id}",
            "${aws:username}"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A plan-shaped tree: `name`, and `steps` whose entries have kinds with random bodies.
fn plan_tree() -> impl Strategy<Value = Value> {
    let step = (
        proptest::sample::select(StepKind::LABELS.to_vec()),
        tree(),
        proptest::option::of(tree()),
    )
        .prop_map(|(label, body, needs)| {
            let mut map = Map::new();
            map.insert(label.to_owned(), body);
            if let Some(needs) = needs {
                map.insert("needs".to_owned(), needs);
            }
            Value::Object(map)
        });
    (
        scalar(),
        proptest::collection::vec(("[a-c]{1,2}", step), 0..6),
        proptest::option::of(tree()),
    )
        .prop_map(|(name, steps, vars)| {
            let mut top = Map::new();
            top.insert("name".to_owned(), name);
            if let Some(vars) = vars {
                top.insert("vars".to_owned(), vars);
            }
            top.insert(
                "steps".to_owned(),
                Value::Object(steps.into_iter().collect()),
            );
            Value::Object(top)
        })
}

/// Block-style YAML with plain (unquoted) scalars: often not valid YAML, or valid with
/// other types than meant, which is the point.
fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        let _ = writeln!(out, "{pad}{k}:");
                        block(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        let _ = writeln!(out, "{pad}{k}:");
                        block(v, indent + 2, out);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}{k}: {}", plain(other));
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let _ = writeln!(out, "{pad}-");
                        block(item, indent + 2, out);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}- {}", plain(other));
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", plain(other));
        }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = check(&text);
    }

    #[test]
    fn never_panics_on_arbitrary_yaml_trees(value in tree(), block_style in any::<bool>()) {
        let mut text = String::new();
        if block_style { block(&value, 0, &mut text) } else { text = value.to_string() }
        let _ = check(&text);
    }

    #[test]
    fn never_panics_on_plan_shaped_yaml(value in plan_tree(), block_style in any::<bool>()) {
        let mut text = String::new();
        if block_style { block(&value, 0, &mut text) } else { text = value.to_string() }
        let _ = check(&text);
    }
}

// ---------- (b), (c) ordering ----------

/// A random acyclic plan: step `sI` may need only steps with a smaller index, and the
/// steps are declared in a shuffled order so that plan order is not run order.
#[derive(Debug, Clone)]
struct Dag {
    /// `needs[i]`: the indexes step `si` needs.
    needs: Vec<BTreeSet<usize>>,
    buckets: Vec<bool>,
    declared: Vec<usize>,
}

fn dag() -> impl Strategy<Value = Dag> {
    (1usize..14)
        .prop_flat_map(|n| {
            let needs = (0..n)
                .map(|i| {
                    proptest::collection::btree_set(0..i.max(1), 0..=i.min(3))
                        .prop_map(move |s| if i == 0 { BTreeSet::new() } else { s })
                })
                .collect::<Vec<_>>();
            (
                needs,
                proptest::collection::vec(any::<bool>(), n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            )
        })
        .prop_map(|(needs, buckets, declared)| Dag {
            needs,
            buckets,
            declared,
        })
}

impl Dag {
    fn yaml(&self, extra: Option<(usize, usize)>) -> String {
        let mut out = String::from("name: lab\nsteps:\n");
        for &i in &self.declared {
            let _ = writeln!(out, "  s{i}:");
            if self.buckets[i] {
                let _ = writeln!(out, "    s3.bucket: {{ name: lab-s{i}-x }}");
            } else {
                let _ = writeln!(
                    out,
                    "    verify: {{ call: sts.GetCallerIdentity, expect: allow }}"
                );
            }
            let mut needs: Vec<usize> = self.needs[i].iter().copied().collect();
            if let Some((from, to)) = extra
                && from == i
            {
                needs.push(to);
            }
            if !needs.is_empty() {
                let names: Vec<String> = needs.iter().map(|n| format!("s{n}")).collect();
                let _ = writeln!(out, "    needs: [{}]", names.join(", "));
            }
        }
        out
    }

    fn edges(&self) -> Vec<(usize, usize)> {
        self.needs
            .iter()
            .enumerate()
            .flat_map(|(i, needs)| needs.iter().map(move |&n| (n, i)))
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sealed_order_respects_every_dependency(dag in dag()) {
        let yaml = dag.yaml(None);
        let sealed = match check(&yaml) {
            Ok(sealed) => sealed,
            Err(err) => return Err(TestCaseError::fail(format!("{err:?}\n{yaml}"))),
        };
        let level = |i: usize| sealed.levels().iter().position(|l| l.iter().any(|s| s.as_str() == format!("s{i}")));
        for (dependency, dependent) in dag.edges() {
            let (a, b) = (level(dependency), level(dependent));
            prop_assert!(a.is_some() && b.is_some() && a < b, "s{dependency} (level {a:?}) must come before s{dependent} (level {b:?})\n{yaml}");
        }
        let mut seen: Vec<String> = sealed.order().map(ToString::to_string).collect();
        let count = seen.len();
        seen.sort();
        seen.dedup();
        prop_assert_eq!(seen.len(), count, "a step appears twice");
        prop_assert_eq!(count, dag.needs.len(), "every step appears");
        let mut reversed = sealed.levels().to_vec();
        reversed.reverse();
        prop_assert_eq!(sealed.teardown_levels(), reversed);
    }

    #[test]
    fn closing_a_loop_is_a_cycle(dag in dag(), pick in any::<proptest::sample::Index>()) {
        let edges = dag.edges();
        prop_assume!(!edges.is_empty());
        let (dependency, dependent) = edges[pick.index(edges.len())];
        // `dependent` already needs `dependency`; make `dependency` need it back.
        let yaml = dag.yaml(Some((dependency, dependent)));
        match check(&yaml) {
            Ok(_) => prop_assert!(false, "a plan with a loop loaded:\n{}", yaml),
            Err(LoadError::Invalid { diagnostics, .. }) => {
                let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
                prop_assert!(!codes.is_empty() && codes.iter().all(|c| *c == "plan::cycle"), "{codes:?}\n{yaml}");
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}
