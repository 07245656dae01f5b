//! The few HTML pages the worker serves itself (email links, OAuth sign-in and consent):
//! plain forms, no script, no outside assets, never framed, never cached.

use crate::platform::response::Response;

/// `s` with the five characters HTML gives meaning to escaped, for text and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A hidden form field.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}\
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=password],input[type=text]\
{width:100%;padding:.5rem;box-sizing:border-box;font:inherit}button{margin:1rem .5rem 0 0;padding:.5rem 1rem;font:inherit}\
.muted{color:#555;font-size:.9rem}.error{color:#a40000}code{word-break:break-all}ul{padding-left:1.2rem}";

/// A whole page: `title` as text, `body` as HTML the caller built from escaped parts.
/// `form_targets` are the origins a form on it may post to or be redirected to (besides
/// this one): the OAuth consent form's answer is a redirect to the client.
pub fn page(status: u16, title: &str, body: &str, form_targets: &[&str]) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    let mut targets = String::from("'self'");
    for t in form_targets {
        targets.push(' ');
        targets.push_str(t);
    }
    let mut resp = Response::with_body(status, "text/html; charset=utf-8", html);
    resp.set_header(
        "Content-Security-Policy",
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; frame-ancestors 'none'; \
             base-uri 'none'"
        ),
    );
    resp.set_header("X-Frame-Options", "DENY");
    resp.set_header("Cache-Control", "no-store");
    resp.set_header("Referrer-Policy", "no-referrer");
    resp.set_header("X-Content-Type-Options", "nosniff");
    resp
}

/// A page with one heading and one paragraph of text.
pub fn message(status: u16, title: &str, text: &str) -> Response {
    page(
        status,
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_never_becomes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            hidden("state", "\"><script>"),
            "<input type=\"hidden\" name=\"state\" value=\"&quot;&gt;&lt;script&gt;\">"
        );
        let p = message(200, "<b>", "x");
        assert!(!String::from_utf8_lossy(p.body()).contains("<b>"));
        assert_eq!(p.header("X-Frame-Options"), Some("DENY"));
        assert!(p
            .header("Content-Security-Policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'")));
    }
}
