//! Answering a request to a service the sandbox does not emulate (routed by
//! `wire::rest_routes`): authenticate it (`SigV4`, that protocol's error codes),
//! authorize it through crates/policy with one decision recorded for `explain`, and
//! answer a read empty or any other call "not implemented", in the service's protocol
//! (`services::generic` words the errors, `wire::generic` encodes the answers).

use super::{Explanation, Signed, authenticated, authorize_all, facts};
use crate::auth::AuthError;
use crate::sandbox::Sandbox;
use crate::services::{ApiError, generic};
use crate::state::{Outcome, World};
use crate::wire::auth_errors::{Family, auth_error};
use crate::wire::regions;
use crate::wire::rest_routes::Routed;
use crate::wire::{self, HttpResponse};

impl Sandbox {
    /// Answers `routed` as its service would, in its protocol.
    pub(super) fn generic(
        &self,
        routed: Routed,
        signed: &Signed<'_>,
        form: &[(String, String)],
        request_id: &str,
    ) -> HttpResponse {
        let mut answer = Err(ApiError::new(
            500,
            "InternalFailure",
            "The request was not run",
        ));
        let transaction = self.transact_keeping(request_id, &mut |world, explanation| {
            answer = self.generic_in(world, routed, signed, form, request_id, explanation);
            Outcome::Discard
        });
        let Routed {
            service,
            protocol,
            operation,
        } = routed;
        match (transaction, answer, operation) {
            (Err(error), _, _) => wire::generic::error(
                service,
                protocol,
                &ApiError::new(500, "InternalFailure", error.to_string()),
                request_id,
            ),
            (Ok(()), Ok(()), Some(operation)) => {
                wire::generic::empty(service, protocol, operation, request_id)
            }
            (Ok(()), Ok(()), None) => wire::generic::error(
                service,
                protocol,
                &ApiError::new(500, "InternalFailure", "No operation was run"),
                request_id,
            ),
            (Ok(()), Err(error), _) => wire::generic::error(service, protocol, &error, request_id),
        }
    }

    /// Authenticates, admits, authorizes and decides, inside the transaction.
    fn generic_in(
        &self,
        world: &World,
        routed: Routed,
        signed: &Signed<'_>,
        form: &[(String, String)],
        request_id: &str,
        explanation: &mut Explanation,
    ) -> Result<(), ApiError> {
        let Routed {
            service,
            protocol,
            operation,
        } = routed;
        let request = signed.request;
        let caller = match authenticated(world, signed, Family::Query) {
            Ok(Some(caller)) => caller,
            Ok(None) => {
                let missing = auth_error(&AuthError::Missing, Family::Query);
                return Err(generic::authentication(protocol, missing));
            }
            Err(error) => return Err(generic::authentication(protocol, error)),
        };
        self.rehearsal
            .admit(&caller.account, service.signing_name, Family::Query)
            .map_err(|error| generic::throttled(protocol, error))?;
        let Some(operation) = operation else {
            let named = request
                .header("x-amz-target")
                .and_then(|target| target.rsplit('.').next())
                .or_else(|| {
                    form.iter()
                        .find(|(key, _)| key == "Action")
                        .map(|(_, value)| value.as_str())
                });
            return Err(generic::unknown(
                service,
                protocol,
                &request.method,
                &request.path,
                named,
            ));
        };
        let region = signed.region().unwrap_or(regions::DEFAULT);
        let check = generic::check(service, operation, &request.method, &request.path, region);
        authorize_all(
            world,
            &caller,
            &[check],
            &facts(signed),
            request_id,
            explanation,
        )
        .map_err(|error| {
            if error.status == 403 && error.code == "AccessDenied" {
                generic::denied(service, protocol, error, request_id)
            } else {
                error
            }
        })?;
        generic::allowed(service, protocol, operation)
    }
}
