//! Answering one request: route it, authenticate it, authorize each check the
//! operation declares (one decision per check, recorded for `explain`), run the
//! operation in one store transaction, and encode the answer or AWS's error. Work that
//! needs no world (checking a policy document) happens before the transaction, so
//! that the world's lock is held only for what needs it.

use crate::auth::authorize::{self, RequestFacts};
use crate::auth::{self, AuthError, Caller};
use crate::ids;
use crate::model::{CommonError, S3Error};
use crate::sandbox::Sandbox;
use crate::services::{ApiError, Call, Check, Handle, Input, Shape, iam, other, registry, s3};
use crate::state::{Decided, DecisionRecord, Outcome, StoreError, World};
use crate::wire::auth_errors::{Family, auth_error};
use crate::wire::{self, HttpRequest, HttpResponse, Route, query};
use std::fmt::Write as _;

// Services the sandbox does not emulate, in their own protocols.
mod generic;

impl Sandbox {
    /// Answers one request as AWS would.
    pub fn handle(&self, request: &HttpRequest) -> HttpResponse {
        let request_id = ids::request_id();
        let form = query::form(request);
        // Read once: routing, authentication and the request's region all use it.
        let signature = auth::sigv4::parse(request);
        // The body's hash too, before the world is locked: a large body is hashed
        // while other clients are served.
        let body_sha256 = match &signature {
            Ok(Some(signature)) if auth::sigv4::needs_body_sha256(request, signature) => {
                Some(auth::sigv4::body_sha256(request))
            }
            _ => None,
        };
        let signed = Signed {
            request,
            signature,
            body_sha256,
        };
        let scoped = signed
            .signature
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|signature| signature.service.as_str());
        // Services the sandbox does not emulate, routed from botocore's models.
        if let Some(routed) = wire::rest_routes::find(request, &form, scoped, &registry::Registry) {
            return self.generic(routed, &signed, &form, &request_id);
        }
        match wire::route(request, &form, scoped, &registry::Registry) {
            Route::S3 => self.s3(&signed, &request_id),
            Route::Query { service } => self.query(&service, &signed, &form, &request_id),
            Route::Json { service, target } => self.json(&service, &target, &signed, &request_id),
        }
    }

    fn query(
        &self,
        service: &str,
        signed: &Signed<'_>,
        form: &[(String, String)],
        request_id: &str,
    ) -> HttpResponse {
        let action = form
            .iter()
            .find(|(key, _)| key == "Action")
            .map(|(_, value)| value.clone());
        let Some(action) = action else {
            return query::error(
                service,
                &registry::Registry,
                &ApiError::of(CommonError::MissingAction, "Missing Action"),
                request_id,
            );
        };
        // A policy document is checked here, before the world is locked: however
        // large or malformed, it never delays another client's request.
        let input = match service {
            "iam" => iam::precheck(&action, query::input(form)),
            _ => query::input(form),
        };
        let registered = registry::service(service);
        let handler = registered.and_then(|found| found.handler(&action));
        let unsigned_allowed =
            registered.is_some_and(|found| found.unsigned.contains(&action.as_str()));
        let mut answer: Result<Shape, ApiError> = Err(ApiError::of(
            CommonError::InternalFailure,
            "The request was not run",
        ));
        let transaction = self.transact_keeping(request_id, &mut |world, explanation| {
            world.propagation_delay_ms = self.rehearsal.propagation_delay_ms();
            let caller = match authenticated(world, signed, Family::Query) {
                Ok(Some(caller)) => caller,
                Ok(None) if unsigned_allowed => Caller::anonymous(),
                Ok(None) => {
                    answer = Err(auth_error(&AuthError::Missing, Family::Query));
                    return Outcome::Discard;
                }
                Err(error) => {
                    answer = Err(error);
                    return Outcome::Discard;
                }
            };
            if let Err(error) = self
                .rehearsal
                .admit(&caller.account, service, Family::Query)
            {
                answer = Err(error);
                return Outcome::Discard;
            }
            let facts = facts(signed);
            let Some(handler) = handler else {
                answer = if let Some(registered) = registered {
                    Err(registered.unknown_operation(&action))
                } else {
                    // Another query service: authorize, then answer read-only calls empty.
                    let check = other::check(service, &action);
                    authorize_all(world, &caller, &[check], &facts, request_id, explanation)
                        .and_then(|()| other::answer(service, &action))
                        .map(|()| Shape::new())
                };
                return Outcome::Discard;
            };
            let (result, commit) = run_operation(
                handler,
                world,
                &input,
                &caller,
                &facts,
                request_id,
                explanation,
            );
            answer = result;
            commit
        });
        match (transaction, answer) {
            (Err(error), _) => query::error(
                service,
                &registry::Registry,
                &ApiError::of(CommonError::InternalFailure, error.to_string()),
                request_id,
            ),
            (Ok(()), Ok(shape)) => {
                query::success(service, &registry::Registry, &action, &shape, request_id)
            }
            (Ok(()), Err(error)) => query::error(service, &registry::Registry, &error, request_id),
        }
    }

    fn s3(&self, signed: &Signed<'_>, request_id: &str) -> HttpResponse {
        let request = signed.request;
        let head = request.method == "HEAD";
        // Named from S3's route table, its input taken from where the model puts each
        // member; then run as every operation is, from the registry.
        let decoded = match wire::s3::decode(request, &registry::Registry) {
            Ok(decoded) => decoded,
            Err(error) => return wire::s3::error(&error, request_id, head),
        };
        let wire::s3::Decoded {
            operation,
            modeled,
            input,
        } = decoded;
        let registered = registry::service("s3").and_then(|s3| s3.rest_operation(&operation));
        // As for IAM: a bucket policy is checked before the world is locked.
        let input = s3::precheck(&operation, input);
        let unemulated;
        let handler: &dyn Handle<s3::S3Output> = if let Some(registered) = registered {
            registered
        } else {
            unemulated = s3::Unemulated::new(operation, modeled);
            &unemulated
        };
        let mut answer = Err(ApiError::of(
            S3Error::InternalError,
            "The request was not run",
        ));
        let transaction = self.transact_keeping(request_id, &mut |world, explanation| {
            world.propagation_delay_ms = self.rehearsal.propagation_delay_ms();
            let caller = match authenticated(world, signed, Family::S3) {
                Ok(Some(caller)) => caller,
                Ok(None) => Caller::anonymous(),
                Err(error) => {
                    answer = Err(error);
                    return Outcome::Discard;
                }
            };
            if let Err(error) = self.rehearsal.admit(&caller.account, "s3", Family::S3) {
                answer = Err(error);
                return Outcome::Discard;
            }
            let (result, commit) = run_operation(
                handler,
                world,
                &input,
                &caller,
                &facts(signed),
                request_id,
                explanation,
            );
            answer = result;
            commit
        });
        match (transaction, answer) {
            (Err(error), _) => wire::s3::error(
                &ApiError::of(S3Error::InternalError, error.to_string()),
                request_id,
                head,
            ),
            (Ok(()), Ok(output)) => wire::s3::success(output, request_id),
            (Ok(()), Err(error)) => wire::s3::error(&error, request_id, head),
        }
    }

    fn json(
        &self,
        service: &str,
        target: &str,
        signed: &Signed<'_>,
        request_id: &str,
    ) -> HttpResponse {
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        let mut answer = Ok(());
        let transaction = self.transact_keeping(request_id, &mut |world, explanation| {
            answer = match authenticated(world, signed, Family::Query) {
                Ok(Some(caller)) => self
                    .rehearsal
                    .admit(&caller.account, service, Family::Query)
                    // The JSON protocols name it `ThrottlingException`.
                    .map_err(|_| ApiError::of(CommonError::ThrottlingException, "Rate exceeded"))
                    .and_then(|()| {
                        authorize_all(
                            world,
                            &caller,
                            &[other::check(service, &operation)],
                            &facts(signed),
                            request_id,
                            explanation,
                        )
                        .and_then(|()| other::answer(service, &operation))
                    }),
                Ok(None) => Err(auth_error(&AuthError::Missing, Family::Query)),
                Err(error) => Err(error),
            };
            Outcome::Discard
        });
        let (status, body) = match (transaction, answer) {
            (Err(error), _) => (
                500,
                format!(
                    "{{\"__type\":\"InternalFailure\",\"message\":{}}}",
                    serde_json::Value::from(error.to_string())
                ),
            ),
            (Ok(()), Ok(())) => (200, "{}".to_owned()),
            (Ok(()), Err(error)) => (
                error.status,
                format!(
                    "{{\"__type\":\"{}\",\"message\":{}}}",
                    error.code,
                    serde_json::Value::from(error.message)
                ),
            ),
        };
        HttpResponse::new(status, "application/x-amz-json-1.1", body.into_bytes())
            .header("x-amzn-requestid", request_id)
    }

    /// Runs `change` in one store transaction and keeps the decision it explains (for
    /// `explain`) in the same transaction: one commit for both, done before the
    /// answer goes out (see `Store::transact_deciding`).
    fn transact_keeping(
        &self,
        request_id: &str,
        change: &mut dyn FnMut(&mut World, &mut Explanation) -> Outcome,
    ) -> Result<(), StoreError> {
        self.store.transact_deciding(&mut |world| {
            let mut text = EXPLAINING.with_borrow_mut(std::mem::take);
            text.clear();
            let mut explanation = Explanation {
                text,
                denied: false,
            };
            let outcome = change(world, &mut explanation);
            let decision = (!explanation.text.is_empty()).then(|| DecisionRecord {
                request_id: request_id.to_owned(),
                at: time::OffsetDateTime::now_utc().unix_timestamp(),
                // Kept at its exact size, in one allocation.
                explanation: explanation.text.as_str().to_owned(),
                denied: explanation.denied,
            });
            if explanation.text.capacity() <= EXPLAINING_KEPT_BYTES {
                EXPLAINING.with_borrow_mut(|kept| *kept = explanation.text);
            }
            Decided { outcome, decision }
        })
    }
}

thread_local! {
    /// The buffer a request's explanation is written in, kept on its thread between
    /// requests: writing one grows no buffer, and the copy kept for `explain` is one
    /// allocation of its exact size (every request keeps one).
    static EXPLAINING: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The largest explaining buffer a thread keeps (one for a large policy is dropped).
const EXPLAINING_KEPT_BYTES: usize = 64 * 1024;

/// A request with its signature read once ([`auth::sigv4::parse`]).
struct Signed<'a> {
    request: &'a HttpRequest,
    signature: Result<Option<auth::sigv4::Signature>, auth::sigv4::Malformed>,
    /// The hex SHA-256 of the body, when checking the signature needs it.
    body_sha256: Option<String>,
}

impl Signed<'_> {
    /// The region of the credential scope, if the request is signed.
    fn region(&self) -> Option<&str> {
        self.signature
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .map(|signature| signature.region.as_str())
    }
}

fn facts(signed: &Signed<'_>) -> RequestFacts {
    RequestFacts {
        source_ip: signed.request.source_ip,
        secure_transport: false,
        region: signed.region().unwrap_or_default().to_owned(),
    }
}

fn authenticated(
    world: &World,
    signed: &Signed<'_>,
    family: Family,
) -> Result<Option<Caller>, ApiError> {
    let signature = match &signed.signature {
        Ok(Some(signature)) => signature,
        Ok(None) => return Ok(None),
        Err(error) => {
            return Err(wire::auth_errors::malformed(error, family));
        }
    };
    let host_now = time::OffsetDateTime::now_utc().unix_timestamp();
    // None when the payload is unsigned or streamed: then no check reads it.
    let body_sha256 = signed.body_sha256.as_deref().unwrap_or_default();
    match auth::authenticate(world, signed.request, signature, body_sha256, host_now) {
        Ok(caller) => Ok(Some(caller)),
        Err(error) => {
            let mut api = auth_error(&error, family);
            if family == Family::S3 && error == AuthError::UnknownKey {
                api = api.with("AWSAccessKeyId", &signature.access_key_id);
            }
            Err(api)
        }
    }
}

/// What one request's authorization decided, for `explain`.
#[derive(Debug, Default)]
struct Explanation {
    /// One paragraph per check decided.
    text: String,
    /// Whether a check was denied: known here, never read back from `text`, whose
    /// context values and reasons are free text.
    denied: bool,
}

/// Runs `handler` as every operation of every emulated service runs: its checks, all
/// authorized (the first denial is the answer), then the handler, given the call
/// (input, caller, region, and the authorizer for what it decides as it goes).
/// Returns the answer and whether to commit (a success that changes the world).
fn run_operation<A>(
    handler: &dyn Handle<A>,
    world: &mut World,
    input: &Input,
    caller: &Caller,
    facts: &RequestFacts,
    request_id: &str,
    explanation: &mut Explanation,
) -> (Result<A, ApiError>, Outcome) {
    let region = if facts.region.is_empty() {
        "us-east-1"
    } else {
        facts.region.as_str()
    };
    let mut authorize = |world: &World, caller: &Caller, checks: &[Check]| {
        authorize_all(world, caller, checks, facts, request_id, explanation)
    };
    let mut call = Call {
        input,
        caller,
        region,
        authorize: &mut authorize,
    };
    let answer = handler
        .checks(world, &call)
        .and_then(|checks| (call.authorize)(world, caller, &checks))
        .and_then(|()| handler.run(world, &mut call));
    let outcome = if answer.is_ok() && handler.mutates() {
        Outcome::Commit
    } else {
        Outcome::Discard
    };
    (answer, outcome)
}

/// Authorizes every check; the first denial is the answer.
fn authorize_all(
    world: &World,
    caller: &Caller,
    checks: &[Check],
    facts: &RequestFacts,
    request_id: &str,
    explanation: &mut Explanation,
) -> Result<(), ApiError> {
    for check in checks {
        match authorize::service_rule(caller, check) {
            Some(Ok(())) => {
                let _ = write!(
                    explanation.text,
                    "request {request_id}\nprincipal: {}\naction: {}\ndecision: allowed (AWS requires no permission for this action)\n",
                    caller.principal.arn, check.action
                );
                continue;
            }
            Some(Err(error)) => {
                explanation.denied = true;
                let _ = write!(
                    explanation.text,
                    "request {request_id}\nprincipal: {}\naction: {}\ndecision: denied before policy evaluation: {}\n",
                    caller.principal.arn, check.action, error.message
                );
                return Err(error);
            }
            None => {}
        }
        let (request, decision, detail) = authorize::decide(world, caller, check, facts);
        authorize::explain(
            &mut explanation.text,
            request_id,
            &request,
            &decision,
            &detail,
        );
        if !decision.is_allowed() {
            explanation.denied = true;
            let message = if caller.is_anonymous() && check.acting_as.is_none() {
                "Access Denied".to_owned()
            } else {
                decision
                    .access_denied_message(&request)
                    .unwrap_or_else(|| "Access Denied".to_owned())
            };
            return Err(ApiError::access_denied(message));
        }
    }
    Ok(())
}
