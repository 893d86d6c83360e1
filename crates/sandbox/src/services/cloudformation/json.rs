//! JSON templates: counted in one pass that builds nothing (values and nesting, with
//! serde's `IgnoredAny` for keys), then parsed into a tree only when within the same
//! budgets as YAML. JSON has no aliases, so its tree is bounded by its size anyway;
//! the count keeps it near the input's size too: a 1 MB template of empty objects
//! would otherwise build a tree of some fifty times its size.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Why a JSON template was refused, as `CloudFormation` words it.
fn not_well_formed(error: &serde_json::Error) -> String {
    format!(
        "Template format error: JSON not well-formed. (line {}, column {})",
        error.line(),
        error.column()
    )
}

/// Parses a JSON template of at most `max_nodes` values nested at most `max_depth`
/// deep, counting before it builds.
pub fn parse(body: &str, max_nodes: usize, max_depth: usize) -> Result<Value, String> {
    let counter = Counter {
        nodes: Cell::new(0),
        max_nodes,
        max_depth,
    };
    let mut deserializer = serde_json::Deserializer::from_str(body);
    if let Err(error) = (Count(&counter, 0)).deserialize(&mut deserializer) {
        let message = error.to_string();
        return Err(
            if message.starts_with(OVER) || message.starts_with("nested more than") {
                format!(
                    "Template format error: JSON not well-formed. (line {}, column {}): {}",
                    error.line(),
                    error.column(),
                    message.split(" at line ").next().unwrap_or(&message)
                )
            } else {
                not_well_formed(&error)
            },
        );
    }
    serde_json::from_str(body).map_err(|error| not_well_formed(&error))
}

const OVER: &str = "the template has more than";

struct Counter {
    nodes: Cell<usize>,
    max_nodes: usize,
    max_depth: usize,
}

/// Counts one value at a depth.
struct Count<'c>(&'c Counter, usize);

impl Count<'_> {
    fn bump<E: serde::de::Error>(&self) -> Result<(), E> {
        let counter = self.0;
        counter.nodes.set(counter.nodes.get() + 1);
        if counter.nodes.get() > counter.max_nodes {
            return Err(E::custom(format!("{OVER} {} values", counter.max_nodes)));
        }
        Ok(())
    }

    /// A map or list here: its own levels, with those around it, must fit.
    fn open<E: serde::de::Error>(&self) -> Result<(), E> {
        self.bump()?;
        if self.1 >= self.0.max_depth {
            return Err(E::custom(format!(
                "nested more than {} levels deep",
                self.0.max_depth
            )));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Count<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.bump()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.bump()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.bump()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.bump()
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.bump()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.open::<A::Error>()?;
        while seq.next_element_seed(Count(self.0, self.1 + 1))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.open::<A::Error>()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Count(self.0, self.1 + 1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn counts_values_before_building_them() {
        let body = format!("{{\"Resources\": [{}]}}", vec!["{}"; 1_000].join(","));
        let error = parse(&body, 500, 100).expect_err("over the value budget");
        assert!(
            error.starts_with("Template format error: JSON not well-formed. (line 1, column")
                && error.ends_with("the template has more than 500 values"),
            "{error}"
        );
        assert_eq!(
            parse("{\"a\": [1, {\"b\": null}]}", 500, 100).expect("parses"),
            json!({"a": [1, {"b": null}]})
        );
    }

    #[test]
    fn counts_nesting_and_reports_syntax_errors() {
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(20), "]".repeat(20));
        // The map and 20 lists are 21 levels; the map and 9 lists fit in 10.
        let error = parse(&deep, 500, 10).expect_err("too deep");
        assert!(
            error.ends_with(": nested more than 10 levels deep"),
            "{error}"
        );
        let fits = format!("{{\"a\": {}{}}}", "[".repeat(9), "]".repeat(9));
        assert!(parse(&fits, 500, 10).is_ok());
        assert_eq!(
            parse("{\"a\": }", 500, 10).expect_err("bad"),
            "Template format error: JSON not well-formed. (line 1, column 7)"
        );
    }
}
