//! The API models of the services a `verify` may call (IAM, STS, S3, `CloudFormation`):
//! one call table, generated from botocore's service models by
//! `scripts/gen-api-models.py` into `models.json`, split by `build.rs` into a table of
//! operations and shapes a service, each read on its first use. The planner checks a
//! verify's call, parameters and expected answer fields against it; the executor
//! encodes, signs and decodes any operation from it; the docs list what it holds.
//! [`calls`] adds what the models do not say: the IAM action of a call, what a call
//! creates (and so what teardown must remove), and which calls a verify may not make.

mod answer;
mod calls;
mod model;

pub use answer::{NoSuchField, Segment, answer_fields, answer_path};
pub use calls::{Call, Creates, Effect, answer_aliases, find_call};
pub use model::{
    LazyService, Location, MemberRef, Models, Operation, Operations, Protocol, Service, Shape,
    ShapeType, models,
};
