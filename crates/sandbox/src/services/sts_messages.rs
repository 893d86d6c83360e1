//! `sts:DecodeAuthorizationMessage`: AWS decodes the encoded authorization message some
//! services return with a denial (EC2's `UnauthorizedOperation`). The sandbox's denials
//! carry their explanation in plain text (`awslab sandbox explain REQUEST-ID`) and it
//! encodes no message, so every message given is refused as AWS refuses an invalid one
//! (`InvalidAuthorizationMessageException`), after the caller is authorized as AWS
//! authorizes it (`sts:DecodeAuthorizationMessage` on `*`).

use super::{ApiError, Check, Input, Operation, Shape, StsError};
use crate::model::Caller;
use crate::state::World;

/// The operation, as STS's table lists it.
pub const DECODE_AUTHORIZATION_MESSAGE: Operation = Operation {
    name: "DecodeAuthorizationMessage",
    mutates: false,
    checks: |_, _, _| Ok(vec![Check::new("sts:DecodeAuthorizationMessage", "*")]),
    run: decode_authorization_message,
};

fn decode_authorization_message(
    input: &Input,
    _world: &mut World,
    _caller: &Caller,
) -> Result<Shape, ApiError> {
    let message = input.required("EncodedMessage")?;
    Err(ApiError::of(
        StsError::InvalidAuthorizationMessageException,
        format!(
            "The encoded message is not valid: the awslab sandbox encodes no authorization messages (its denials explain themselves: run `awslab sandbox explain` with the request id); got {} characters",
            message.chars().count()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::DECODE_AUTHORIZATION_MESSAGE;
    use crate::model::{Caller, Input};
    use crate::state::World;

    #[test]
    fn every_message_is_refused_as_aws_refuses_an_invalid_one() {
        let input = Input::default().text("EncodedMessage", "b64-text");
        let error =
            (DECODE_AUTHORIZATION_MESSAGE.run)(&input, &mut World::default(), &Caller::anonymous())
                .unwrap_err();
        assert_eq!(
            (error.status, error.code.as_str()),
            (400, "InvalidAuthorizationMessageException")
        );
        let missing = (DECODE_AUTHORIZATION_MESSAGE.run)(
            &Input::default(),
            &mut World::default(),
            &Caller::anonymous(),
        )
        .unwrap_err();
        assert_eq!(missing.code, "ValidationError");
    }
}
