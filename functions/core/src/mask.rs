//! The one masking function for every public output: board pages, the JSON API, feeds,
//! `jobs.json` and messages to third parties all show free text through
//! [`mask_numbers`], so a phone number typed into a title, an address, an employer's
//! name or a description is never published whole.
//!
//! Matching runs on a normalised view of the text: digits of every kind people and
//! robots use (ASCII, full-width, Chinese numerals in both the plain and the financial
//! forms, circled and mathematical digits) are read as digits, and a short run of
//! separators between two digits (spaces of any kind, dots, slashes, underscores,
//! commas, dashes of any kind, brackets, zero-width and other invisible characters)
//! joins them. Any 11-digit mainland mobile number (`1[3-9]` and nine more) or landline
//! with its area code (`010`, `02x`, or `0` and three digits, then 7–8 digits) found
//! in such a chain is replaced whole, separators included. Runs of 15 or more digits
//! without separators (ID and bank card numbers) are starred digit by digit.

/// Most separator characters allowed between two digits of one number ("138 - 1234").
const MAX_GAP: usize = 3;

/// Fewest digits a chain needs to hold a number worth masking (`010` and 7 digits).
const MIN_DIGITS: usize = 10;

/// Contiguous digits from which a run is taken for an ID or card number.
const ID_RUN: usize = 15;

/// The value of `c` read as a decimal digit, in any of the forms numbers are typed in.
pub fn digit_value(c: char) -> Option<u8> {
    let value = match c {
        '0'..='9' => c as u32 - '0' as u32,
        '０'..='９' => c as u32 - '０' as u32,
        // Mathematical bold, double-struck, sans-serif, … digits: five sets of ten.
        '\u{1D7CE}'..='\u{1D7FF}' => (c as u32 - 0x1D7CE) % 10,
        '⓪' | '〇' | '零' | '○' => 0,
        '①'..='⑨' => c as u32 - '①' as u32 + 1,
        '⑴'..='⑼' => c as u32 - '⑴' as u32 + 1,
        '⒈'..='⒐' => c as u32 - '⒈' as u32 + 1,
        '一' | '壹' | '幺' => 1,
        '二' | '贰' | '貳' => 2,
        '三' | '叁' | '參' | '叄' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    };
    u8::try_from(value).ok()
}

/// Characters that may stand between two digits of one number: anything people or
/// robots put there to break up a number, visible or not.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '。'
                | '．'
                | '·'
                | '・'
                | '/'
                | '／'
                | '\\'
                | '_'
                | '＿'
                | ','
                | '，'
                | '、'
                | '-'
                | '－'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '~'
                | '～'
                | '*'
                | '＊'
                | '|'
                | ':'
                | '：'
                | ';'
                | '；'
                | '('
                | ')'
                | '（'
                | '）'
                | '['
                | ']'
                | '【'
                | '】'
                | '"'
                | '\''
                | '#'
                | '+'
                | '＋'
                | '='
                // Invisible: zero-width, joiners, word joiner, BOM, soft hyphen, bidi
                // marks and controls. Input refuses or strips them now, but older
                // records may hold them.
                | '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
}

/// One digit of a chain: where it stands in the text, its value, and whether
/// separators stand before it (it opens a group).
#[derive(Clone, Copy)]
struct Digit {
    at: usize,
    value: u8,
    opens_group: bool,
}

/// A number found in a chain: digits `first..=last` of it, and what replaces them.
struct Found {
    first: usize,
    last: usize,
    replacement: String,
}

/// Masks phone numbers (mobile `138****5678`, landline `0971-****567`) and ID or card
/// numbers (every digit starred) in free text, however the digits are written or split.
pub fn mask_numbers(text: &str) -> String {
    // Nothing to mask without enough digits in all (the common case).
    if text.chars().filter(|c| digit_value(*c).is_some()).count() < MIN_DIGITS {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    // What replaces each character: None keeps it, Some(text) stands instead of it
    // (an empty text drops it).
    let mut replace: Vec<Option<String>> = vec![None; chars.len()];

    // ID and card numbers: long runs of digits with nothing between them.
    let mut id_run = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if digit_value(chars[i]).is_none() {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && digit_value(chars[end]).is_some() {
            end += 1;
        }
        if end - i >= ID_RUN {
            for slot in i..end {
                id_run[slot] = true;
                replace[slot] = Some("*".to_owned());
            }
        }
        i = end;
    }

    // Chains: digits joined by short runs of separators.
    let mut chain: Vec<Digit> = Vec::new();
    let mut gap = 0usize;
    for (at, c) in chars.iter().enumerate() {
        if id_run[at] {
            finish_chain(&mut chain, &mut replace);
            gap = 0;
            continue;
        }
        if let Some(value) = digit_value(*c) {
            let opens_group = chain.is_empty() || gap > 0;
            chain.push(Digit {
                at,
                value,
                opens_group,
            });
            gap = 0;
        } else if is_separator(*c) && !chain.is_empty() && gap < MAX_GAP {
            gap += 1;
        } else {
            finish_chain(&mut chain, &mut replace);
            gap = 0;
        }
    }
    finish_chain(&mut chain, &mut replace);

    let mut out = String::with_capacity(text.len());
    for (c, instead) in chars.iter().zip(replace) {
        match instead {
            Some(text) => out.push_str(&text),
            None => out.push(*c),
        }
    }
    out
}

/// Finds the numbers in `chain`, records their replacement, and empties it.
fn finish_chain(chain: &mut Vec<Digit>, replace: &mut [Option<String>]) {
    if chain.len() >= MIN_DIGITS {
        for found in numbers_in(chain) {
            let (from, to) = (chain[found.first].at, chain[found.last].at);
            replace[from] = Some(found.replacement);
            for slot in replace.iter_mut().take(to + 1).skip(from + 1) {
                *slot = Some(String::new());
            }
        }
    }
    chain.clear();
}

/// The numbers in a chain, not overlapping. A candidate that starts and ends with
/// groups (as a number is written) wins over one cut out of a longer run of digits.
fn numbers_in(chain: &[Digit]) -> Vec<Found> {
    let n = chain.len();
    let d = |k: usize| chain[k].value;
    let closes_group = |k: usize| k + 1 == n || chain[k + 1].opens_group;
    let text = |from: usize, to: usize| -> String {
        (from..to).map(|k| char::from(b'0' + d(k))).collect()
    };
    // (rank, first, last, replacement): lower rank first.
    let mut candidates: Vec<(u8, usize, usize, String)> = Vec::new();
    for (k, digit) in chain.iter().enumerate().take(n.saturating_sub(10)) {
        if digit.value == 1 && (3..=9).contains(&d(k + 1)) {
            let last = k + 10;
            let rank = match (digit.opens_group, closes_group(last)) {
                (true, true) => 0,
                (true, false) | (false, true) => 1,
                (false, false) => 2,
            };
            let replacement = format!("{}****{}", text(k, k + 3), text(k + 7, k + 11));
            candidates.push((rank, k, last, replacement));
        }
    }
    for (k, digit) in chain.iter().enumerate() {
        if digit.value != 0 || !digit.opens_group || k + 1 >= n {
            continue;
        }
        let area = match d(k + 1) {
            1 if k + 2 < n && d(k + 2) == 0 => 3,
            2 => 3,
            3..=9 => 4,
            _ => continue,
        };
        let local_from = k + area;
        if local_from >= n || d(local_from) == 0 {
            continue;
        }
        // Prefer the length that ends where a group ends; then the longer one.
        let lengths = [8usize, 7].into_iter().filter(|len| local_from + len <= n);
        let Some(len) = lengths
            .clone()
            .find(|len| closes_group(local_from + len - 1))
            .or_else(|| lengths.clone().next())
        else {
            continue;
        };
        let last = local_from + len - 1;
        let area_whole = (k + 1..local_from).all(|j| !chain[j].opens_group);
        let rank = if area_whole { 3 } else { 4 };
        let replacement = format!("{}-****{}", text(k, local_from), text(last - 2, last + 1));
        candidates.push((rank, k, last, replacement));
    }
    candidates.sort_by_key(|(rank, first, _, _)| (*rank, *first));
    let mut taken = vec![false; n];
    let mut found = Vec::new();
    for (_, first, last, replacement) in candidates {
        if taken[first..=last].iter().any(|t| *t) {
            continue;
        }
        taken[first..=last].iter_mut().for_each(|t| *t = true);
        found.push(Found {
            first,
            last,
            replacement,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of splitting 139 2468 0135 the issue names, and some more.
    #[test]
    fn a_mobile_number_is_masked_however_it_is_split() {
        let cases = [
            ("dot", "电话139.2468.0135找王"),
            ("slash", "电话139/2468/0135找王"),
            ("underscore", "电话139_2468_0135找王"),
            ("comma", "电话139,2468,0135找王"),
            ("full-width comma", "电话139，2468，0135找王"),
            ("double space", "电话139  2468  0135找王"),
            ("zero-width space", "电话139\u{200B}2468\u{200B}0135找王"),
            ("ideographic space", "电话139\u{3000}2468\u{3000}0135找王"),
            ("no-break space", "电话139\u{00A0}2468\u{00A0}0135找王"),
            ("en dash", "电话139–2468–0135找王"),
            ("em dash", "电话139—2468—0135找王"),
            ("every digit apart", "电话1 3 9 2 4 6 8 0 1 3 5找王"),
            ("BOM and word joiner", "电话139\u{FEFF}2468\u{2060}0135找王"),
            (
                "mixed",
                "电话1.3-9/2_4,6  8\u{200B}0\u{3000}1\u{00A0}3–5找王",
            ),
            ("chinese numerals", "电话一三九二四六八〇一三五找王"),
            ("chinese with 零", "电话一三九 二四六八 零一三五找王"),
            ("financial numerals", "电话壹叁玖贰肆陆捌零壹叁伍找王"),
            ("mixed forms", "电话1三9 二4六8 〇１３5找王"),
            ("full-width", "电话１３９－２４６８－０１３５找王"),
            ("brackets", "电话139（2468）0135找王"),
        ];
        for (how, text) in cases {
            let masked = mask_numbers(text);
            assert_eq!(masked, "电话139****0135找王", "{how}: {text:?}");
        }
        assert_eq!(
            mask_numbers("电话 一三九二四六八〇一三五"),
            "电话 139****0135"
        );
    }

    #[test]
    fn a_landline_with_its_area_code_is_masked_however_it_is_split() {
        for text in [
            "0971-8123456",
            "0971 8123456",
            "0971.812.3456",
            "0971\u{200B}8123456",
            "〇九七一八一二三四五六",
            "0 9 7 1 8 1 2 3 4 5 6",
        ] {
            assert_eq!(mask_numbers(text), "0971-****456", "{text:?}");
        }
        assert_eq!(mask_numbers("(0971)8123456"), "(0971-****456");
        assert_eq!(mask_numbers("010-62345678"), "010-****678");
        assert_eq!(mask_numbers("021 6234 5678"), "021-****678");
    }

    #[test]
    fn numbers_next_to_other_digits_are_still_found() {
        assert_eq!(
            mask_numbers("2026-12-01 13924680135"),
            "2026-12-01 139****0135"
        );
        assert_eq!(
            mask_numbers("2026-12-13 139 2468 0135"),
            "2026-12-13 139****0135"
        );
        assert_eq!(
            mask_numbers("2026-12-01 0971-8123456"),
            "2026-12-01 0971-****456"
        );
        assert_eq!(mask_numbers("+86 139 2468 0135"), "+86 139****0135");
        assert_eq!(mask_numbers("0086-13924680135"), "0086-139****0135");
        assert_eq!(
            mask_numbers("0971-8123456 或 13924680135"),
            "0971-****456 或 139****0135"
        );
    }

    #[test]
    fn ordinary_numbers_stay() {
        for text in [
            "早8点到下午4点，3栋楼，220元",
            "2026-12-01",
            "2026.12.01-2026.12.03",
            "工期12月1日至12月3日，8:00-17:00",
            "三五个人，一二楼",
            "138****5678",
            "0971-****456",
        ] {
            assert_eq!(mask_numbers(text), text);
        }
    }

    #[test]
    fn id_numbers_are_starred() {
        assert_eq!(
            mask_numbers("身份证630102199001011234"),
            "身份证******************"
        );
        assert_eq!(mask_numbers("63010219900101123X"), "*****************X");
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        for text in [
            "电话139.2468.0135，座机0971-8123456",
            "电话一三九二四六八〇一三五",
        ] {
            let once = mask_numbers(text);
            assert_eq!(mask_numbers(&once), once);
        }
    }
}
