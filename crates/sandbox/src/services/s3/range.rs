//! `GetObject` with a `Range` header (RFC 9110 byte ranges, as S3 reads them): one
//! range `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. A header S3 cannot use
//! (another unit, several ranges, `last` before `first`) is ignored and the whole object
//! is answered; a range that starts past the end is `InvalidRange` (416).

use crate::services::ApiError;
use crate::services::S3Error;

/// The inclusive byte range of an object of `size` bytes that `header` asks for, or
/// `None` to answer the whole object.
pub fn satisfiable(header: &str, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let unsatisfiable = || {
        ApiError::of(
            S3Error::InvalidRange,
            "The requested range is not satisfiable",
        )
        .with("RangeRequested", header)
        .with("ActualObjectSize", &size.to_string())
    };
    let range = match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(suffix), size - 1)
        }
        (false, Some(first), None) if last.trim().is_empty() => {
            if first >= size {
                return Err(unsatisfiable());
            }
            (first, size - 1)
        }
        (false, Some(first), Some(last)) if first <= last => {
            if first >= size {
                return Err(unsatisfiable());
            }
            (first, last.min(size - 1))
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::satisfiable;

    #[test]
    #[expect(clippy::type_complexity, reason = "a table of cases")]
    fn reads_ranges_as_s3_does() {
        let cases: [(&str, u64, Result<Option<(u64, u64)>, &str>); 12] = [
            ("bytes=0-9", 100, Ok(Some((0, 9)))),
            ("bytes=90-200", 100, Ok(Some((90, 99)))),
            ("bytes=10-", 100, Ok(Some((10, 99)))),
            ("bytes=-10", 100, Ok(Some((90, 99)))),
            ("bytes=-500", 100, Ok(Some((0, 99)))),
            ("bytes=100-", 100, Err("InvalidRange")),
            ("bytes=100-200", 100, Err("InvalidRange")),
            ("bytes=-0", 100, Err("InvalidRange")),
            ("bytes=9-1", 100, Ok(None)),
            ("bytes=0-1,5-6", 100, Ok(None)),
            ("items=0-1", 100, Ok(None)),
            ("bytes=abc", 100, Ok(None)),
        ];
        for (header, size, expected) in cases {
            let found = satisfiable(header, size).map_err(|error| error.code);
            assert_eq!(found, expected.map_err(str::to_owned), "{header}");
        }
    }
}
