//! The header block of a CGI response (RFC 3875 §6): `Status:` gives the HTTP status, the other
//! headers are passed on, a blank line ends the block. The block is parsed by `httparse` (hyper's
//! parser, which also accepts the bare-LF line ends CGI programs write); only the CGI meaning of
//! the headers is decided here.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// The parsed head of a CGI response.
#[derive(Debug)]
pub(crate) struct CgiHead {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// How many bytes of the input the head took (the body starts there).
    pub len: usize,
}

/// What parsing the bytes read so far gave.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// The whole head is there.
    Complete(CgiHead),
    /// More bytes are needed.
    Partial,
}

/// The most headers a CGI head may carry (`git http-backend` writes about five).
const MAX_HEADERS: usize = 32;

/// Headers the backend may not set on the response: the HTTP framing is the server's own.
const HOP_BY_HOP: &[&str] = &["connection", "transfer-encoding", "keep-alive", "upgrade"];

/// Parses the head of a CGI response from the bytes read so far.
pub(crate) fn parse(buf: &[u8]) -> Result<Parsed, String> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (len, fields) = match httparse::parse_headers(buf, &mut raw) {
        Ok(httparse::Status::Complete(done)) => done,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(e) => return Err(format!("header block: {e}")),
    };
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    for field in fields {
        if field.name.eq_ignore_ascii_case("status") {
            status = parse_status(field.value)?;
            continue;
        }
        if HOP_BY_HOP
            .iter()
            .any(|h| field.name.eq_ignore_ascii_case(h))
        {
            continue;
        }
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| format!("header name {:?}", field.name))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| format!("value of header {:?}", field.name))?;
        headers.append(name, value);
    }
    Ok(Parsed::Complete(CgiHead {
        status,
        headers,
        len,
    }))
}

/// `Status: 404 Not Found` → 404: three digits, then an optional reason phrase.
fn parse_status(value: &[u8]) -> Result<StatusCode, String> {
    let text = std::str::from_utf8(value).map_err(|_| "Status header is not text".to_string())?;
    let code = text.trim().split(' ').next().unwrap_or_default();
    if code.len() != 3 {
        return Err(format!("Status header {text:?}: expected a 3-digit code"));
    }
    StatusCode::from_bytes(code.as_bytes())
        .map_err(|_| format!("Status header {text:?}: expected a 3-digit code"))
}

#[cfg(test)]
mod tests {
    use super::{parse, Parsed};

    /// Complete heads: (input, status, headers as "name=value" joined by ';', body after).
    const COMPLETE: &[(&str, u16, &str, &str)] = &[
        (
            "Status: 200 OK\r\nContent-Type: a/b\r\n\r\nBODY",
            200,
            "content-type=a/b",
            "BODY",
        ),
        ("Content-Type: a/b\r\n\r\n", 200, "content-type=a/b", ""),
        (
            "Status: 404 Not Found\nExpires: x\n\nrest",
            404,
            "expires=x",
            "rest",
        ),
        ("Status: 403\r\n\r\n", 403, "", ""),
        ("status: 500 Internal Server Error\r\n\r\n", 500, "", ""),
        (
            "Pragma: a\r\nPragma: b\r\n\r\n0000",
            200,
            "pragma=a;pragma=b",
            "0000",
        ),
        (
            "Transfer-Encoding: chunked\r\nConnection: close\r\nX: 1\r\n\r\n",
            200,
            "x=1",
            "",
        ),
        ("\r\nbody only", 200, "", "body only"),
    ];

    /// Heads not yet complete.
    const PARTIAL: &[&str] = &["Status: 200 OK\r\nContent-Type: a/b\r\n", "Status: 20", ""];

    /// Heads that are not valid CGI.
    const BAD: &[&str] = &[
        "Status: abc\r\n\r\n",
        "Status: 99 Low\r\n\r\n",
        "Status: 2000 Long\r\n\r\n",
        "Status: \r\n\r\n",
        "Bad Name: x\r\n\r\n",
        "NoColon\r\n\r\n",
    ];

    #[test]
    fn complete_heads() {
        for (input, status, headers, body) in COMPLETE {
            let Ok(Parsed::Complete(head)) = parse(input.as_bytes()) else {
                panic!("{input:?} is not a complete head");
            };
            assert_eq!(head.status.as_u16(), *status, "{input:?}");
            let got: Vec<String> = head
                .headers
                .iter()
                .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
                .collect();
            assert_eq!(got.join(";"), *headers, "{input:?}");
            assert_eq!(&input[head.len..], *body, "{input:?}");
        }
    }

    #[test]
    fn partial_and_bad_heads() {
        for input in PARTIAL {
            let parsed = parse(input.as_bytes());
            assert!(
                matches!(parsed, Ok(Parsed::Partial)),
                "{input:?}: {parsed:?}"
            );
        }
        for input in BAD {
            assert!(parse(input.as_bytes()).is_err(), "{input:?}");
        }
    }
}
