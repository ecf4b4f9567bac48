//! A step summary (`$GITHUB_STEP_SUMMARY`, Markdown written by the workflow: untrusted) as
//! safe HTML for the run page. pulldown-cmark renders CommonMark with GitHub's tables and
//! strikethrough; ammonia then keeps only a whitelist of tags and attributes, so no script,
//! event handler, inline style (the CSP would block them anyway, this keeps them out of the
//! page), `javascript:` or other unlisted URL scheme survives. Links get
//! `rel="noopener noreferrer nofollow"`; images keep a source only when it is on this site
//! (relative), as the CSP's `img-src 'self'` would load no other.

use pulldown_cmark::{html, Options, Parser};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The summary's Markdown as sanitised HTML, with the configured host paths replaced by
/// their labels, escaped (a label such as `<data_dir>` is text, not a tag): done here, on
/// the final HTML, so the page's own redaction finds no path left to put in raw.
pub fn render(markdown: &str, host_paths: &[(String, String)]) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, opts));
    let mut html = sanitiser().clean(&raw).to_string();
    for (path, label) in host_paths {
        if html.contains(path.as_str()) {
            html = html.replace(path.as_str(), &escape(label));
        }
    }
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn sanitiser() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("noopener noreferrer nofollow"))
            .attribute_filter(|element, attribute, value| {
                if element == "img" && attribute == "src" && !same_origin(value) {
                    return None;
                }
                Some(Cow::Borrowed(value))
            });
        b
    })
}

/// A URL relative to this site: no scheme, not scheme-relative (`//host`).
fn same_origin(url: &str) -> bool {
    let url = url.trim();
    if url.starts_with("//") || url.starts_with("\\\\") || url.starts_with("/\\") {
        return false;
    }
    let before = url.split(['/', '?', '#']).next().unwrap_or("");
    !before.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_plain(md: &str) -> String {
        render(md, &[])
    }

    #[test]
    fn host_paths_become_escaped_labels() {
        let paths = [("/srv/data".to_string(), "<data_dir>".to_string())];
        let html = render("see /srv/data/x and [l](/srv/data/y)", &paths);
        assert!(!html.contains("/srv/data"), "{html}");
        assert!(html.contains("&lt;data_dir&gt;/x"), "{html}");
        assert!(!html.contains("<data_dir>"), "{html}");
    }

    #[test]
    fn markdown_renders() {
        let html =
            render_plain("**bold** and `code`\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~gone~~");
        for want in [
            "<strong>bold</strong>",
            "<code>code</code>",
            "<table>",
            "<th>a</th>",
            "<td>2</td>",
            "<del>gone</del>",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        // A centred column's `style="text-align"` is an inline style: removed.
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn nothing_active_survives() {
        let table = [
            ("<script>alert(1)</script>", "<script"),
            ("<img src=x onerror=alert(1)>", "onerror"),
            ("[x](javascript:alert(1))", "javascript:"),
            ("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "alert"),
            ("<p style=\"color:red\">x</p>", "style"),
            ("<div onclick=\"x()\">x</div>", "onclick"),
            ("<iframe src=\"/x\"></iframe>", "<iframe"),
            ("<style>body{}</style>", "<style"),
            ("<svg><script>alert(1)</script></svg>", "<script"),
            ("<form action=/x><input name=a></form>", "<input"),
            ("<p id=\"jobs\">x</p>", "id="),
            ("![x](https://evil.example/t.png)", "evil.example"),
            ("<img src=\"//evil.example/t.png\">", "evil.example"),
            ("<a href=\"data:text/html,x\">x</a>", "data:"),
        ];
        for (md, banned) in table {
            let html = render_plain(md);
            assert!(
                !html.to_lowercase().contains(&banned.to_lowercase()),
                "{md} gave {html}"
            );
        }
    }

    #[test]
    fn links_and_images() {
        let html =
            render_plain("[site](https://example.com/a) ![logo](/img/logo.png) ![r](pic.png)");
        assert!(
            html.contains("href=\"https://example.com/a\" rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
        assert!(html.contains("src=\"/img/logo.png\""), "{html}");
        assert!(html.contains("src=\"pic.png\""), "{html}");
        for (url, same) in [
            ("/a.png", true),
            ("a.png", true),
            ("a/b:c.png", true),
            ("?x=1", true),
            ("http://e.x/a.png", false),
            ("//e.x/a.png", false),
            ("data:image/png;base64,AA", false),
            ("/\\e.x", false),
        ] {
            assert_eq!(same_origin(url), same, "{url}");
        }
    }
}
