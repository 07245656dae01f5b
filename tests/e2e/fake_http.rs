//! The HTTP both local fakes speak: read one request (line, headers, JSON body) and
//! answer it with JSON, one request per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::Value;

/// The request line (`POST /path HTTP/1.1`) and the body parsed as JSON (`Null` if not).
pub fn read_request(stream: &TcpStream) -> std::io::Result<(String, Value)> {
    read_request_with_headers(stream).map(|(line, _, body)| (line, body))
}

/// Header names (lowercased) and values.
pub type Headers = Vec<(String, String)>;

/// The request line, the headers and the body parsed as JSON.
pub fn read_request_with_headers(stream: &TcpStream) -> std::io::Result<(String, Headers, Value)> {
    let mut headers = Vec::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok((
        request_line,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ))
}

/// Answers `status` with a JSON body and closes the connection.
pub fn write_json(stream: TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    write_json_with(stream, status, &[], body)
}

/// Answers `status` with extra headers and a JSON body, and closes the connection.
pub fn write_json_with(
    mut stream: TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &Value,
) -> std::io::Result<()> {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}
