//! The report's charts: grouped horizontal bar charts drawn by `plotters` into
//! SVG strings, to be inlined in the page.
//!
//! Horizontal bars put the category labels (risk bands, class sizes, column
//! names of any length) on the left where they have room, so one chart type
//! serves all four figures. Text stays SVG `<text>`: plotters escapes it, and
//! the browser lays it out with its own fonts, so no font files are needed.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// Width of every chart in SVG units; CSS scales it to the page.
const WIDTH: u32 = 960;
/// Height of one category row, in SVG units.
const ROW: u32 = 30;
const FONT: &str = "sans-serif";

/// One series of bars: a value per category.
pub(crate) struct Series {
    /// Legend entry.
    pub name: String,
    /// Bar colour.
    pub color: RGBColor,
    /// One value per category, in the chart's category order.
    pub values: Vec<f64>,
}

/// A grouped horizontal bar chart.
pub(crate) struct BarChart {
    /// Accessible title (the SVG's `aria-label`) and the name in error messages.
    pub title: String,
    /// Category labels, drawn top to bottom.
    pub categories: Vec<String>,
    /// Bars per category, one per series, in this order from top to bottom.
    pub series: Vec<Series>,
    /// The value axis' caption.
    pub axis: String,
    /// Formats values for the labels at the bars' ends.
    pub format: fn(f64) -> String,
    /// Formats the value axis' ticks (round numbers need fewer digits).
    pub tick: fn(f64) -> String,
    /// Upper end of the value axis; the largest value (plus room for labels) when absent.
    pub max: Option<f64>,
}

/// The first palette colour: the input ("before") or a chart's only series.
pub(crate) const BEFORE: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
/// The second palette colour: the release ("after").
pub(crate) const AFTER: RGBColor = RGBColor(0x1b, 0x9e, 0x77);
/// A neutral colour for single-series charts.
pub(crate) const NEUTRAL: RGBColor = RGBColor(0x4c, 0x78, 0xa8);

impl BarChart {
    /// Draws the chart; returns an `<svg>` element for inline use in HTML.
    pub(crate) fn to_svg(&self) -> Result<String> {
        let fail = |e: &dyn std::fmt::Display| Error::chart(&self.title, e);
        let n = self.categories.len();
        if n == 0 || self.series.is_empty() || self.series.iter().any(|s| s.values.len() != n) {
            return Err(fail(&"every series needs one value per category, and at least one category"));
        }
        let largest = self.series.iter().flat_map(|s| &s.values).copied().fold(0.0, f64::max);
        // Room right of the longest bar for its label.
        let max = self.max.unwrap_or(if largest > 0.0 { largest * 1.18 } else { 1.0 });
        let legend = self.series.len() > 1;
        let height = n as u32 * ROW * self.series.len().max(2) as u32 / 2 + 90 + if legend { 24 } else { 0 };
        let label_width = self.categories.iter().map(|c| c.chars().count()).max().unwrap_or(1).clamp(4, 40) as u32;

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| fail(&e))?;
            let root = if legend { self.draw_legend(root)? } else { root };
            // Category i occupies the unit interval [n-1-i, n-i] of the y axis, so the
            // first category is on top. (A segmented axis would do this, but plotters'
            // discrete axes divide by the category count minus one and fail for one.)
            let mut chart = ChartBuilder::on(&root)
                .margin_top(8)
                .margin_right(24)
                .x_label_area_size(44)
                .y_label_area_size(label_width * 8 + 16)
                .build_cartesian_2d(0f64..max, 0f64..n as f64)
                .map_err(|e| fail(&e))?;
            let tick = self.tick;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(6)
                .x_label_formatter(&|v: &f64| tick(*v))
                .x_desc(self.axis.as_str())
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 14))
                .max_light_lines(1)
                .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
                .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
                .draw()
                .map_err(|e| fail(&e))?;

            let category = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
            for (i, name) in self.categories.iter().enumerate() {
                let (x, y) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
                let (left, top) = root.get_base_pixel();
                root.draw(&Text::new(shorten(name, 40), (x - left - 8, y - top), category.clone()))
                    .map_err(|e| fail(&e))?;
            }

            // The bars of one category share its unit interval, one band per series.
            let pad = 0.12;
            let band = (1.0 - 2.0 * pad) / self.series.len() as f64;
            let band_pixels = chart.plotting_area().dim_in_pixel().1 as f64 / n as f64 * band;
            let label = TextStyle::from((FONT, band_pixels.clamp(9.0, 13.0)).into_font())
                .pos(Pos::new(HPos::Left, VPos::Center));
            for (j, series) in self.series.iter().enumerate() {
                let top = |i: usize| (n - i) as f64 - pad - band * j as f64;
                let color = series.color;
                chart
                    .draw_series(
                        series.values.iter().enumerate().map(|(i, &v)| {
                            Rectangle::new([(0.0, top(i) - band), (v.min(max), top(i))], color.filled())
                        }),
                    )
                    .map_err(|e| fail(&e))?;
                chart
                    .draw_series(series.values.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, &v)| {
                        EmptyElement::at((v.min(max), top(i) - band / 2.0))
                            + Text::new((self.format)(v), (4, 0), label.clone())
                    }))
                    .map_err(|e| fail(&e))?;
            }
        }
        Ok(inline(&svg, &self.title))
    }

    /// Draws the legend across the top; returns the area left for the chart.
    fn draw_legend<'a>(
        &self,
        root: DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    ) -> Result<DrawingArea<SVGBackend<'a>, plotters::coord::Shift>> {
        let (legend, rest) = root.split_vertically(28);
        let mut x = 20;
        for s in &self.series {
            legend
                .draw(&Rectangle::new([(x, 8), (x + 14, 22)], s.color.filled()))
                .map_err(|e| Error::chart(&self.title, e))?;
            legend
                .draw(&Text::new(s.name.clone(), (x + 20, 9), (FONT, 14).into_font()))
                .map_err(|e| Error::chart(&self.title, e))?;
            x += 40 + 8 * s.name.chars().count() as i32;
        }
        Ok(rest)
    }
}

/// Cuts `text` to `max` characters with an ellipsis; the full name stays in the page's tables.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { text.chars().take(max - 1).chain(['…']).collect() }
}

/// Makes plotters' standalone SVG document an inline element: the HTML parser
/// puts `<svg>` in the SVG namespace itself, so the namespace URL goes, and the
/// fixed size becomes a viewBox that CSS scales.
pub fn inline(svg: &str, title: &str) -> String {
    let body_start = svg.find('>').map_or(0, |p| p + 1);
    let (width, height) = (attribute(svg, "width"), attribute(svg, "height"));
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">{}",
        crate::escape::escape(title),
        &svg[body_start..]
    )
}

/// The value of `name="..."` in the SVG's opening tag.
fn attribute<'s>(svg: &'s str, name: &str) -> &'s str {
    let open = &svg[..svg.find('>').unwrap_or(svg.len())];
    let key = format!(" {name}=\"");
    open.find(&key)
        .map(|p| {
            let rest = &open[p + key.len()..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<f64>) -> BarChart {
        BarChart {
            title: "t".into(),
            categories: vec!["a".into(), "b".into()],
            series: vec![Series { name: "s".into(), color: NEUTRAL, values }],
            axis: "x".into(),
            format: |v| format!("{v}"),
            tick: |v| format!("{v}"),
            max: None,
        }
    }

    #[test]
    fn rejects_a_series_without_a_value_per_category() {
        let err = chart(vec![1.0]).to_svg().unwrap_err().to_string();
        assert!(err.contains("one value per category"), "{err}");
    }

    #[test]
    fn inlines_a_scalable_svg_without_namespace() {
        let svg = chart(vec![1.0, 2.0]).to_svg().unwrap();
        assert!(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 960 "), "{}", &svg[..80]);
        assert!(!svg.contains("xmlns") && svg.trim_end().ends_with("</svg>"));
        // One bar per value, each labelled with its value.
        assert!(svg.contains(">\n1\n</text>") && svg.contains(">\n2\n</text>"), "value labels");
        assert!(svg.contains(">\na\n</text>") && svg.contains(">\nb\n</text>"), "category labels");
    }
}
