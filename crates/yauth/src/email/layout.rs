//! The shared look of yauth's emails: HTML escaping, a plain document and a link button, which
//! every plugin's templates use.
//!
//! When writing HTML yourself, escape every value you interpolate with [`escape_html`]: the
//! recipient's address and the application name come from configuration and user input.

use std::fmt::Write as _;

/// Escapes `value` for use in HTML text and in quoted attribute values.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// "45 minutes", "1 hour", "2 hours", "1 day", "90 minutes".
#[cfg_attr(
    not(any(feature = "email-password", feature = "magic-link")),
    allow(dead_code)
)]
pub(crate) fn human_duration(minutes: u64) -> String {
    fn unit(n: u64, one: &str, many: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    }
    if minutes >= 24 * 60 && minutes.is_multiple_of(24 * 60) {
        unit(minutes / (24 * 60), "day", "days")
    } else if minutes >= 60 && minutes.is_multiple_of(60) {
        unit(minutes / 60, "hour", "hours")
    } else {
        unit(minutes, "minute", "minutes")
    }
}

/// One HTML paragraph per entry; entries are already-escaped HTML.
#[cfg_attr(
    not(any(feature = "email-password", feature = "magic-link")),
    allow(dead_code)
)]
pub(crate) fn html_document(title: &str, paragraphs: &[String]) -> String {
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(html, "<title>{}</title>", escape_html(title));
    html.push_str(
        "</head>\n<body style=\"font-family: -apple-system, 'Segoe UI', Helvetica, Arial, \
         sans-serif; line-height: 1.5; color: #222;\">\n",
    );
    for p in paragraphs {
        let _ = writeln!(html, "<p>{p}</p>");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// An HTML link whose text is the URL itself, so it can be copied when the button fails.
#[cfg_attr(
    not(any(feature = "email-password", feature = "magic-link")),
    allow(dead_code)
)]
pub(crate) fn html_link(url: &str, label: &str) -> String {
    let url = escape_html(url);
    format!(
        "<a href=\"{url}\" style=\"display: inline-block; padding: 10px 18px; \
         background: #2563eb; color: #fff; text-decoration: none; border-radius: 6px;\">{}</a>\
         <br><br>If the button does not work, copy this address into your browser:<br>\
         <a href=\"{url}\">{url}</a>",
        escape_html(label)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_html_escapes_the_five_special_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain ü text"), "plain ü text");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(1), "1 minute");
        assert_eq!(human_duration(30), "30 minutes");
        assert_eq!(human_duration(60), "1 hour");
        assert_eq!(human_duration(90), "90 minutes");
        assert_eq!(human_duration(120), "2 hours");
        assert_eq!(human_duration(24 * 60), "1 day");
        assert_eq!(human_duration(3 * 24 * 60), "3 days");
    }
}
