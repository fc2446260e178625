//! Text that came from the network is untrusted: it is capped and, before it reaches a
//! terminal, every control or bidirectional-formatting character is escaped.

/// Escapes control characters (C0, DEL, C1) and Unicode bidi/format controls as `\u{…}`
/// (or `\n`, `\t`, `\r`), so that a hostile peer cannot move the cursor, change colours or
/// reorder text in the user's terminal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_dangerous(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Serialised JSON with every character that could act on a terminal (C1 controls, DEL, bidi
/// overrides, zero-width characters; serde_json already escapes C0 controls) written as a
/// `\uXXXX` escape. Such characters can only occur inside JSON strings, so the document means
/// exactly the same.
pub fn json_safe(json: String) -> String {
    // Pretty output has newlines between tokens; anything else only occurs inside strings.
    let escape_it = |c: char| c != '\n' && is_dangerous(c);
    // Every dangerous character but DEL is outside ASCII (and serde_json escapes the C0
    // controls): most documents are done with two fast scans.
    if (json.is_ascii() && !json.as_bytes().contains(&0x7f)) || !json.chars().any(escape_it) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escape_it(c) {
            // Every dangerous character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x200B..=0x200F   // zero-width, LRM, RLM
            | 0x2028..=0x202E // separators, bidi embeddings and overrides
            | 0x2060..=0x206F // word joiner, invisible operators, bidi isolates
            | 0xFEFF          // BOM / zero-width no-break space
            | 0xFFF9..=0xFFFB)
}

/// Cuts a string to at most `max` characters, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Lossy UTF-8, clipped and escaped: for showing a few bytes of a body.
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    let head = &bytes[..bytes.len().min(max * 4)];
    escape(&clip(&String::from_utf8_lossy(head), max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_stays_json_and_loses_terminal_controls() {
        let v = serde_json::json!({"a": "x\u{202e}y\u{9b}z\u{1b}", "b": ["\n"]});
        for text in [
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string_pretty(&v).unwrap(),
        ] {
            let safe = json_safe(text);
            assert!(
                !safe.chars().any(|c| c != '\n' && is_dangerous(c)),
                "{safe}"
            );
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape("x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(escape("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape("\u{9b}1m"), "\\u{9b}1m");
        assert_eq!(escape("\u{7f}"), "\\u{7f}");
        assert_eq!(escape("\u{feff}{}"), "\\u{feff}{}");
        assert_eq!(escape("bücher ✓"), "bücher ✓");
    }

    #[test]
    fn clips_by_characters() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(excerpt(b"<html>\x1b[2J", 100), "<html>\\u{1b}[2J");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a'], 10), "\u{fffd}\u{fffd}a");
    }
}
