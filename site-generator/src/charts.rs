//! The data wall's charts: inline SVG drawn at build time, so they need no script, no
//! image request and no third-party library, scale to any screen (a `viewBox` and no
//! fixed size), and print. Every chart has a title for screen readers and the page
//! shows the same figures as a table beside it. Colours keep 3:1 against white
//! (WCAG 1.4.11); no inline `style`, so the strict CSP holds.

use std::fmt::Write;

/// One bar: its label, its value, and the value as the reader sees it.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Label (a trade, a district).
    pub label: String,
    /// Value the bar's length shows.
    pub value: u64,
    /// Value as text, e.g. `220 元`.
    pub shown: String,
}

/// Escapes text for SVG (XML) content and attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

const WIDTH: u64 = 640;
const LABEL_W: u64 = 210;
const VALUE_W: u64 = 90;
const ROW_H: u64 = 34;

/// A horizontal bar chart, one row per bar, labels on the left, values on the right.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> String {
    let height = ROW_H * bars.len().max(1) as u64 + 8;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let track = WIDTH - LABEL_W - VALUE_W;
    let mut svg = String::with_capacity(256 + bars.len() * 256);
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title>"#,
        esc(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4 + ROW_H * i as u64;
        let len = if bar.value == 0 {
            0
        } else {
            (track * bar.value).div_ceil(max).max(2)
        };
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="17" fill="#111">{label}</text><rect x="{LABEL_W}" y="{ry}" width="{len}" height="22" rx="3" fill="#0b4fa8"/><text x="{vx}" y="{ty}" font-size="17" fill="#111">{shown}</text>"##,
            lx = LABEL_W - 10,
            ty = y + 22,
            ry = y + 5,
            vx = LABEL_W + len + 8,
            label = esc(&bar.label),
            shown = esc(&bar.shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One week of the trend chart.
#[derive(Clone, Debug)]
pub struct WeekBar {
    /// Axis label (e.g. `11/23`).
    pub label: String,
    /// Places posted that week.
    pub places: u64,
    /// Placements made that week.
    pub placements: u64,
}

/// The weekly trend: places posted (blue) and placements (red) side by side per week.
pub fn trend_chart(id: &str, title: &str, legend: (&str, &str), weeks: &[WeekBar]) -> String {
    let (top, bottom, left) = (40u64, 36u64, 44u64);
    let plot_h = 220u64;
    let height = top + plot_h + bottom;
    let n = weeks.len().max(1) as u64;
    let slot = (WIDTH - left - 8) / n;
    let max = weeks
        .iter()
        .flat_map(|w| [w.places, w.placements])
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |v: u64| {
        if v == 0 {
            0
        } else {
            (plot_h * v).div_ceil(max).max(2)
        }
    };
    let mut svg = String::with_capacity(512 + weeks.len() * 400);
    let _ = write!(
        svg,
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><rect x="{left}" y="8" width="16" height="16" fill="#0b4fa8"/><text x="{l1}" y="22" font-size="16" fill="#111">{}</text><rect x="{l2}" y="8" width="16" height="16" fill="#9b1c1c"/><text x="{l3}" y="22" font-size="16" fill="#111">{}</text><text x="{ax}" y="{my}" text-anchor="end" font-size="14" fill="#111">{max}</text><text x="{ax}" y="{zy}" text-anchor="end" font-size="14" fill="#111">0</text><line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#4a4a4a" stroke-width="1"/>"##,
        esc(title),
        esc(legend.0),
        esc(legend.1),
        l1 = left + 22,
        l2 = left + 220,
        l3 = left + 242,
        ax = left - 6,
        my = top + 12,
        zy = top + plot_h,
        base = top + plot_h,
    );
    let bar_w = (slot.saturating_sub(8) / 2).max(2);
    for (i, week) in weeks.iter().enumerate() {
        let x = left + 4 + slot * i as u64;
        let (h1, h2) = (scale(week.places), scale(week.placements));
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{y1}" width="{bar_w}" height="{h1}" fill="#0b4fa8"/><rect x="{x2}" y="{y2}" width="{bar_w}" height="{h2}" fill="#9b1c1c"/><text x="{tx}" y="{ty}" text-anchor="middle" font-size="13" fill="#111">{label}</text>"##,
            y1 = top + plot_h - h1,
            x2 = x + bar_w,
            y2 = top + plot_h - h2,
            tx = x + bar_w,
            ty = top + plot_h + 20,
            label = esc(&week.label),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_zero_draws_no_bar() {
        let svg = bar_chart(
            "c",
            "t<",
            &[
                Bar {
                    label: "<script>".into(),
                    value: 0,
                    shown: "0".into(),
                },
                Bar {
                    label: "b".into(),
                    value: 5,
                    shown: "5".into(),
                },
            ],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains(r#"width="0""#));
        assert!(svg.contains("<title id=\"c-t\">t&lt;</title>"));
    }
}
