//! Counting a document's lexical tokens before it is parsed, so that an oversized document is
//! refused for the cost of one pass over its bytes (as graphql-js's `maxTokens` does).
//!
//! The count follows the spec's lexical grammar: whitespace, line terminators, commas, comments
//! and a byte-order mark are ignored; a punctuator (`...` included), a name, a number and a string
//! (block strings included) are one token each. Any other byte counts as a token of its own: the
//! parser reports it afterwards.

/// The number of tokens in `source`, or `None` as soon as there are more than `limit`.
pub fn count_tokens(source: &str, limit: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut at = 0;
    let mut count = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        at = match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            0xEF if bytes[at..].starts_with("\u{feff}".as_bytes()) => {
                at += 3;
                continue;
            }
            b'#' => {
                at = skip_comment(bytes, at);
                continue;
            }
            b'"' => skip_string(bytes, at),
            b'.' if bytes[at..].starts_with(b"...") => at + 3,
            b'_' | b'A'..=b'Z' | b'a'..=b'z' => skip_while(bytes, at, is_name_continue),
            b'-' | b'0'..=b'9' => skip_while(bytes, at + 1, is_number_continue),
            _ => at + 1,
        };
        count += 1;
        if count > limit {
            return None;
        }
    }
    Some(count)
}

fn is_name_continue(byte: u8) -> bool {
    byte == b'_' || byte.is_ascii_alphanumeric()
}

/// Digits, a fraction, an exponent with its sign: a number and its suffix are one token.
fn is_number_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'+' | b'-')
}

fn skip_while(bytes: &[u8], from: usize, keep: fn(u8) -> bool) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| !keep(b))
        .map_or(bytes.len(), |n| from + n)
}

fn skip_comment(bytes: &[u8], from: usize) -> usize {
    skip_while(bytes, from, |b| b != b'\n' && b != b'\r')
}

/// Past a string starting at `from` (a `"`); an unterminated one runs to the end.
fn skip_string(bytes: &[u8], from: usize) -> usize {
    if bytes[from..].starts_with(b"\"\"\"") {
        let mut at = from + 3;
        while at < bytes.len() {
            if bytes[at..].starts_with(b"\\\"\"\"") {
                at += 4;
            } else if bytes[at..].starts_with(b"\"\"\"") {
                return at + 3;
            } else {
                at += 1;
            }
        }
        return bytes.len();
    }
    let mut at = from + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            b'\n' | b'\r' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::count_tokens;

    fn count(source: &str) -> usize {
        count_tokens(source, usize::MAX).expect("under the limit")
    }

    #[test]
    fn counts_as_the_lexical_grammar_does() {
        assert_eq!(count("{ chain { height } }"), 6);
        assert_eq!(
            count("query Q($n: Int = -12.5e3) { a: f(n: $n) @skip(if: false) }"),
            28
        );
        assert_eq!(count("{ ...F } fragment F on Query { __typename }"), 11);
        assert_eq!(count("\u{feff}# a comment, with { braces }\n{ a, b }"), 4);
        assert_eq!(count(r#"{ f(s: "a \" { b", t: """x "" } \""" y""") }"#), 11);
    }

    #[test]
    fn stops_counting_past_the_limit() {
        let flood = "{ ".to_owned() + &"chain { height } ".repeat(1000) + "}";
        assert_eq!(count_tokens(&flood, 10), None);
        assert_eq!(count_tokens(&flood, 4002), Some(4002));
    }

    #[test]
    fn unterminated_strings_and_stray_bytes_end() {
        assert_eq!(count("{ f(s: \"open"), 6);
        assert_eq!(count("{ f(s: \"\"\"open"), 6);
        assert_eq!(count("%%"), 2);
    }
}
