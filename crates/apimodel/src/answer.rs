//! Paths into a call's answer, as `expect:` names them: a member (`Arn`), a dotted path
//! (`Credentials.AccessKeyId`, `User.Arn`), a path through a list (`Users[*].UserName`
//! or `Users.UserName`: every item's, joined with commas; `Users[0].UserName`: one),
//! a member of the one structure an answer wraps (`Arn` for `iam.GetUser`'s
//! `User.Arn`), or an alias kept from earlier versions (`Keys` for `s3.ListObjectsV2`).
//! The planner checks them against the output shape; the executor reads them from the
//! decoded answer with the same resolution.

use crate::calls::{Call, answer_aliases};
use crate::model::{Service, ShapeType};

/// One step of a path in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A structure's member (or a map's key).
    Member(String),
    /// Every item of a list.
    Each,
    /// One item of a list (0-based).
    Index(usize),
}

/// The most segments a path may have (answers are not deeper).
const MAX_SEGMENTS: usize = 16;

/// Parses `Users[*].UserName` into segments; `None` when malformed.
fn parse(path: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        out.push(Segment::Member(name.to_owned()));
        if !rest.is_empty() {
            rest = rest.strip_suffix(']')?;
            for index in rest.split("][") {
                out.push(match index {
                    "*" => Segment::Each,
                    n => Segment::Index(n.parse().ok()?),
                });
            }
        }
        if out.len() > MAX_SEGMENTS {
            return None;
        }
    }
    Some(out)
}

/// Why a path is not in an answer, with the names that would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchField {
    /// The segment that is not there (the whole field when it is malformed).
    pub missing: String,
    /// What could stand there.
    pub known: Vec<String>,
}

/// Resolves `field` in `call`'s answer to a checked path.
pub fn answer_path(call: &Call, field: &str) -> Result<Vec<Segment>, NoSuchField> {
    if let Some((_, path)) = answer_aliases(&call.name()).find(|(alias, _)| *alias == field) {
        return parse(path).ok_or_else(|| NoSuchField {
            missing: field.to_owned(),
            known: Vec::new(),
        });
    }
    let Some(segments) = parse(field) else {
        return Err(NoSuchField {
            missing: field.to_owned(),
            known: vec![
                "Member".into(),
                "Member.Inner".into(),
                "List[*].Member".into(),
            ],
        });
    };
    let Some(output) = call.operation.output.as_deref() else {
        return Err(NoSuchField {
            missing: field.to_owned(),
            known: Vec::new(),
        });
    };
    match walk(call.service, output, &segments) {
        Ok(path) => Ok(path),
        Err(error) => {
            // A member of the one structure the answer wraps (`Arn` of `User`).
            if let Some(Segment::Member(first)) = segments.first()
                && let Some(prefix) = wrapped(call.service, output, first)
            {
                let mut longer = prefix;
                longer.extend(segments.iter().cloned());
                if let Ok(path) = walk(call.service, output, &longer) {
                    return Ok(path);
                }
            }
            let mut error = error;
            if segments.len() == 1 {
                error
                    .known
                    .extend(answer_aliases(&call.name()).map(|(a, _)| a.to_owned()));
            }
            Err(error)
        }
    }
}

/// The members of the answer's top level (and aliases): what an expectation may name
/// first.
pub fn answer_fields(call: &Call) -> Vec<String> {
    let mut out: Vec<String> = call
        .operation
        .output
        .as_deref()
        .and_then(|o| call.service.shape(o))
        .map(|s| s.members.keys().cloned().collect())
        .unwrap_or_default();
    out.extend(answer_aliases(&call.name()).map(|(a, _)| a.to_owned()));
    out
}

/// The path to the structure inside `shape` (through structures only, breadth first)
/// that has a member `name`, when exactly one structure at the shallowest depth has.
fn wrapped(service: &Service, shape: &str, name: &str) -> Option<Vec<Segment>> {
    let mut level: Vec<(Vec<Segment>, &str)> = vec![(Vec::new(), shape)];
    for _ in 0..4 {
        let mut next = Vec::new();
        for (path, shape) in &level {
            let Some(s) = service.shape(shape) else {
                continue;
            };
            if s.kind != ShapeType::Structure {
                continue;
            }
            for (member, reference) in &s.members {
                if service
                    .shape(&reference.shape)
                    .is_some_and(|m| m.kind == ShapeType::Structure)
                {
                    let mut p = path.clone();
                    p.push(Segment::Member(member.clone()));
                    next.push((p, reference.shape.as_str()));
                }
            }
        }
        let found: Vec<&(Vec<Segment>, &str)> = next
            .iter()
            .filter(|(_, shape)| {
                service
                    .shape(shape)
                    .is_some_and(|s| s.members.contains_key(name))
            })
            .collect();
        match found.as_slice() {
            [(path, _)] => return Some(path.clone()),
            [] => level = next,
            _ => return None,
        }
    }
    None
}

/// Checks `segments` against the shapes from `shape` down; a member path through a
/// list without `[*]` goes through every item.
fn walk(service: &Service, shape: &str, segments: &[Segment]) -> Result<Vec<Segment>, NoSuchField> {
    let mut out = Vec::new();
    let mut current = shape.to_owned();
    for segment in segments {
        let Some(s) = service.shape(&current) else {
            break;
        };
        let mut s = s;
        if s.kind == ShapeType::List && matches!(segment, Segment::Member(_)) {
            out.push(Segment::Each);
            let Some(member) = &s.member else { break };
            current.clone_from(&member.shape);
            match service.shape(&current) {
                Some(inner) => s = inner,
                None => break,
            }
        }
        match (segment, s.kind) {
            (Segment::Member(name), ShapeType::Structure) => {
                let Some(reference) = s.members.get(name) else {
                    return Err(NoSuchField {
                        missing: name.clone(),
                        known: s.members.keys().cloned().collect(),
                    });
                };
                current.clone_from(&reference.shape);
            }
            (Segment::Member(_), ShapeType::Map) => {
                if let Some(value) = &s.value {
                    current.clone_from(&value.shape);
                }
            }
            (Segment::Each | Segment::Index(_), ShapeType::List) => {
                if let Some(member) = &s.member {
                    current.clone_from(&member.shape);
                }
            }
            (segment, kind) => {
                return Err(NoSuchField {
                    missing: match segment {
                        Segment::Member(name) => name.clone(),
                        Segment::Each => "[*]".into(),
                        Segment::Index(i) => format!("[{i}]"),
                    },
                    known: vec![format!("nothing: the value there is {}", kind.word())],
                });
            }
        }
        out.push(segment.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::find_call;

    fn path(call: &str, field: &str) -> Result<Vec<Segment>, NoSuchField> {
        answer_path(&find_call(call).unwrap(), field)
    }

    fn m(name: &str) -> Segment {
        Segment::Member(name.into())
    }

    #[test]
    fn resolves_fields_existing_plans_use() {
        assert_eq!(path("sts.GetCallerIdentity", "Arn").unwrap(), [m("Arn")]);
        assert_eq!(path("iam.GetUser", "Arn").unwrap(), [m("User"), m("Arn")]);
        assert_eq!(
            path("iam.GetUser", "User.Arn").unwrap(),
            [m("User"), m("Arn")]
        );
        assert_eq!(
            path("sts.AssumeRole", "Arn").unwrap(),
            [m("AssumedRoleUser"), m("Arn")]
        );
        assert_eq!(
            path("iam.GetRole", "MaxSessionDuration").unwrap(),
            [m("Role"), m("MaxSessionDuration")]
        );
        assert_eq!(
            path("iam.GetGroup", "UserNames").unwrap(),
            [m("Users"), Segment::Each, m("UserName")]
        );
        assert_eq!(
            path("s3.ListObjectsV2", "Contents.Key").unwrap(),
            [m("Contents"), Segment::Each, m("Key")]
        );
        assert_eq!(
            path("s3.ListObjectsV2", "Contents[0].Key").unwrap(),
            [m("Contents"), Segment::Index(0), m("Key")]
        );
        assert_eq!(path("s3.GetObject", "Body").unwrap(), [m("Body")]);
        assert_eq!(
            path("sts.AssumeRole", "Credentials.AccessKeyId").unwrap(),
            [m("Credentials"), m("AccessKeyId")]
        );
    }

    #[test]
    fn says_what_is_there_instead() {
        let error = path("sts.GetCallerIdentity", "Arm").unwrap_err();
        assert_eq!(error.missing, "Arm");
        assert!(error.known.contains(&"Arn".to_owned()));
        let error = path("iam.GetUser", "User.Arm").unwrap_err();
        assert!(error.known.contains(&"Arn".to_owned()), "{error:?}");
        assert!(path("iam.GetUser", "User[*]").is_err());
        assert!(path("iam.GetUser", "a..b").is_err());
    }
}
