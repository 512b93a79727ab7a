//! The UI's charts, drawn by `plotters` on the server into inline SVG: the
//! privacy–utility frontier of a leaderboard, and an entry's risk distribution
//! and attack ROC curves.
//!
//! The approach is the HTML report's (`anonlab-report`'s charts): plotters'
//! SVG backend only, text left as SVG `<text>` (plotters escapes it, so a
//! hostile submission name stays text, and the browser lays it out with its
//! own fonts), and the fixed-size document turned into a `viewBox` that CSS
//! scales. Lines and markers are plain path and circle elements, so no series
//! features of plotters are needed.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use anonlab_arena::evaluate::metrics::RiskBand;

use anonlab_report::{inline_svg as inline, shorten};

const FONT: &str = "sans-serif";
/// The frontier's colour (and the risk bars').
const FRONTIER: RGBColor = RGBColor(0x1b, 0x9e, 0x77);
/// Entries off the frontier.
const OTHER: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Bars and single lines.
const NEUTRAL: RGBColor = RGBColor(0x4c, 0x78, 0xa8);
/// One colour per ROC curve.
const PALETTE: [RGBColor; 5] = [
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x4c, 0x78, 0xa8),
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
];

/// A chart that could not be drawn: the message names the chart.
#[derive(Debug)]
pub(super) struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail(chart: &str) -> impl Fn(&dyn std::fmt::Display) -> ChartError + '_ {
    move |e| ChartError(format!("cannot draw the {chart} chart: {e}"))
}

/// One leaderboard entry on the frontier chart.
#[derive(Debug, Clone)]
pub(super) struct FrontierPoint {
    /// The entry's name (its label).
    pub name: String,
    /// Worst residual risk of any attack.
    pub risk: f64,
    /// `1 − information loss`.
    pub utility: f64,
    /// Whether no entry beats it on both axes.
    pub on_frontier: bool,
}

/// The privacy–utility scatter: x the worst residual risk (lower is better),
/// y the utility score (higher is better); frontier entries marked and joined
/// by a line, every point labelled with its entry's name. `None` without points.
pub(super) fn frontier(points: &[FrontierPoint]) -> Result<Option<String>, ChartError> {
    let points: Vec<&FrontierPoint> = points.iter().filter(|p| p.risk.is_finite() && p.utility.is_finite()).collect();
    if points.is_empty() {
        return Ok(None);
    }
    let fail = fail("privacy–utility frontier");
    let (width, height) = (960u32, 460u32);
    let max_risk = points.iter().map(|p| p.risk).fold(0.0, f64::max);
    let min_risk = points.iter().map(|p| p.risk).fold(0.0, f64::min);
    // Room right of the highest risk for its label.
    let x_range = min_risk..(max_risk * 1.25).max(0.05);
    let min_utility = points.iter().map(|p| p.utility).fold(1.0, f64::min);
    let y_low = ((min_utility - 0.05) * 10.0).floor().clamp(0.0, 0.9) / 10.0;
    let y_range = y_low.min(min_utility)..1.02;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, y_range)
            .map_err(|e| fail(&e))?;
        mesh(
            &mut chart,
            "worst residual risk of any attack (lower is more private) →",
            "utility: 1 − information loss",
        )
        .map_err(|e| fail(&e))?;

        let mut line: Vec<(f64, f64)> = points.iter().filter(|p| p.on_frontier).map(|p| (p.risk, p.utility)).collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        if line.len() > 1 {
            chart
                .draw_series(std::iter::once(PathElement::new(line, FRONTIER.stroke_width(3))))
                .map_err(|e| fail(&e))?
                .label("privacy–utility frontier")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], FRONTIER.stroke_width(3)));
        }
        chart
            .draw_series(
                points.iter().filter(|p| !p.on_frontier).map(|p| Circle::new((p.risk, p.utility), 5, OTHER.filled())),
            )
            .map_err(|e| fail(&e))?
            .label("other entries")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, OTHER.filled()));
        chart
            .draw_series(points.iter().filter(|p| p.on_frontier).map(|p| {
                EmptyElement::at((p.risk, p.utility))
                    + Circle::new((0, 0), 7, FRONTIER.filled())
                    + Circle::new((0, 0), 7, BLACK.stroke_width(1))
            }))
            .map_err(|e| fail(&e))?
            .label("on the frontier")
            .legend(|(x, y)| Circle::new((x + 10, y), 6, FRONTIER.filled()));

        // Labels where they overlap neither a marker nor another label: the
        // frontier's first, then the rest; each tries places around its point.
        let (left, top) = root.get_base_pixel();
        let area = chart.plotting_area().get_pixel_range();
        let centres: Vec<(i32, i32)> = points
            .iter()
            .map(|p| {
                let (x, y) = chart.backend_coord(&(p.risk, p.utility));
                (x - left, y - top)
            })
            .collect();
        let mut taken: Vec<Bounds> = centres.iter().map(|&(x, y)| Bounds::around(x, y, 8)).collect();
        // The legend, in the lower right corner.
        let (right, bottom) = (area.0.end - left, area.1.end - top);
        taken.push(Bounds { x0: right - 190, y0: bottom - 80, x1: right, y1: bottom });
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by_key(|&i| !points[i].on_frontier);
        for i in order {
            let p = points[i];
            let text = shorten(&p.name, 28);
            let width = (text.chars().count() as f64 * if p.on_frontier { 7.6 } else { 7.0 }).ceil() as i32;
            let (x, y) = centres[i];
            // Right of the point first, then left, then further up or down.
            let candidates = [0, -15, 15, -30, 30, -45, 45, -60, 60]
                .into_iter()
                .flat_map(|dy| [(if dy == 0 { 11 } else { 8 }, dy, false), (if dy == 0 { -11 } else { -8 }, dy, true)]);
            let fits = |b: &Bounds| {
                b.x0 >= area.0.start - left
                    && b.x1 <= area.0.end - left
                    && b.y0 >= area.1.start - top
                    && b.y1 <= area.1.end - top
            };
            // The first place that fits and overlaps nothing; else the one overlapping least.
            let place = candidates
                .map(|(dx, dy, leftwards)| {
                    let x0 = if leftwards { x + dx - width } else { x + dx };
                    let bounds = Bounds { x0, y0: y + dy - 8, x1: x0 + width, y1: y + dy + 8 };
                    let clashes =
                        taken.iter().filter(|t| t.overlaps(&bounds)).count() + if fits(&bounds) { 0 } else { 100 };
                    (dx, dy, leftwards, bounds, clashes)
                })
                .min_by_key(|c| c.4)
                .map(|(dx, dy, leftwards, bounds, _)| (dx, dy, leftwards, bounds))
                .expect("there are candidates");
            let (dx, dy, leftwards, bounds) = place;
            taken.push(bounds);
            if dy.abs() >= 30 {
                // A label away from its point gets a leader line.
                let end = (if leftwards { x + dx + 2 } else { x + dx - 2 }, y + dy);
                root.draw(&PathElement::new(vec![(x, y), end], RGBColor(0xaa, 0xaa, 0xaa).stroke_width(1)))
                    .map_err(|e| fail(&e))?;
            }
            let anchor = Pos::new(if leftwards { HPos::Right } else { HPos::Left }, VPos::Center);
            let style = if p.on_frontier {
                TextStyle::from((FONT, 13).into_font().style(FontStyle::Bold)).color(&RGBColor(0x10, 0x5e, 0x47))
            } else {
                TextStyle::from((FONT, 13).into_font()).color(&RGBColor(0x33, 0x33, 0x33))
            };
            root.draw(&Text::new(text, (x + dx, y + dy), style.pos(anchor))).map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Some(inline(&svg, "Privacy–utility frontier: worst residual risk against utility per entry")))
}

/// Records per re-identification risk band as horizontal bars, highest risk
/// at the bottom. `None` without bands.
pub(super) fn risk_bands(bands: &[RiskBand]) -> Result<Option<String>, ChartError> {
    if bands.is_empty() {
        return Ok(None);
    }
    let fail = fail("risk distribution");
    let n = bands.len();
    let (width, height) = (960u32, 70 + 26 * n as u32);
    let max = bands.iter().map(|b| b.share).fold(0.0, f64::max).max(0.01) * 1.15;
    let label_width = bands.iter().map(|b| b.band.chars().count()).max().unwrap_or(4).clamp(4, 24) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(8)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(label_width * 8 + 16)
            .build_cartesian_2d(0f64..max, 0f64..n as f64)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_label_formatter(&|v: &f64| format!("{:.0} %", v * 100.0))
            .x_desc("share of released records")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 14))
            .max_light_lines(1)
            .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(|e| fail(&e))?;
        // Band i occupies [n-1-i, n-i] of the y axis, so the first is on top.
        let category = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, band) in bands.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            let (left, top) = root.get_base_pixel();
            root.draw(&Text::new(band.band.clone(), (x - left - 8, y - top), category.clone()))
                .map_err(|e| fail(&e))?;
        }
        chart
            .draw_series(bands.iter().enumerate().map(|(i, b)| {
                let top = (n - i) as f64 - 0.15;
                Rectangle::new([(0.0, top - 0.7), (b.share.min(max), top)], NEUTRAL.filled())
            }))
            .map_err(|e| fail(&e))?;
        let value = TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(bands.iter().enumerate().filter(|(_, b)| b.share > 0.0).map(|(i, b)| {
                EmptyElement::at((b.share.min(max), (n - i) as f64 - 0.5))
                    + Text::new(super::view::percent(b.share), (4, 0), value.clone())
            }))
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Some(inline(&svg, "Records per re-identification risk band")))
}

/// One attack's ROC curve.
#[derive(Debug, Clone)]
pub(super) struct RocCurve {
    /// The attack's name (legend).
    pub name: String,
    /// Its area under the curve, for the legend.
    pub auc: Option<f64>,
    /// `[fpr, tpr]` points from (0, 0) to (1, 1).
    pub points: Vec<[f64; 2]>,
}

/// ROC curves of the attacks that score targets, with the diagonal of random
/// guessing (dashed). `None` without curves.
pub(super) fn roc(curves: &[RocCurve]) -> Result<Option<String>, ChartError> {
    let curves: Vec<&RocCurve> = curves.iter().filter(|c| !c.points.is_empty()).collect();
    if curves.is_empty() {
        return Ok(None);
    }
    let fail = fail("ROC");
    let (width, height) = (560u32, 520u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(|e| fail(&e))?;
        mesh(&mut chart, "false positive rate", "true positive rate").map_err(|e| fail(&e))?;
        // The diagonal, dashed: what guessing achieves.
        let dashes = (0..20).map(|i| {
            let (a, b) = (i as f64 / 20.0, (i as f64 + 0.5) / 20.0);
            PathElement::new(vec![(a, a), (b, b)], OTHER.stroke_width(2))
        });
        chart.draw_series(dashes).map_err(|e| fail(&e))?.label("random guessing").legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 8, y), (x + 12, y), (x + 20, y)], OTHER.stroke_width(2))
        });
        for (i, curve) in curves.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points: Vec<(f64, f64)> =
                curve.points.iter().map(|p| (p[0].clamp(0.0, 1.0), p[1].clamp(0.0, 1.0))).collect();
            let name = match curve.auc {
                Some(auc) => format!("{} (AUC {auc:.3})", shorten(&curve.name, 24)),
                None => shorten(&curve.name, 24),
            };
            chart
                .draw_series(std::iter::once(PathElement::new(points, color.stroke_width(3))))
                .map_err(|e| fail(&e))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(Some(inline(&svg, "ROC curves of the attacks that score targets")))
}

/// A label's or marker's bounding box in pixels.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Bounds {
    fn around(x: i32, y: i32, r: i32) -> Bounds {
        Bounds { x0: x - r, y0: y - r, x1: x + r, y1: y + r }
    }

    fn overlaps(&self, other: &Bounds) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Axes, grid and captions shared by the scatter and the ROC chart.
fn mesh(chart: &mut Chart<'_, '_>, x: &str, y: &str) -> Result<(), String> {
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v: &f64| trim(*v))
        .y_label_formatter(&|v: &f64| trim(*v))
        .x_desc(x)
        .y_desc(y)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .max_light_lines(1)
        .light_line_style(RGBColor(0xf4, 0xf4, 0xf4))
        .bold_line_style(RGBColor(0xe0, 0xe0, 0xe0))
        .draw()
        .map_err(|e| e.to_string())
}

/// A tick value without trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, risk: f64, utility: f64, on_frontier: bool) -> FrontierPoint {
        FrontierPoint { name: name.into(), risk, utility, on_frontier }
    }

    #[test]
    fn frontier_marks_labels_and_escapes() {
        let svg = frontier(&[
            point("k=5", 0.10, 0.80, true),
            point("k=20", 0.02, 0.60, true),
            point("<script>alert(1)</script>", 0.2, 0.5, false),
        ])
        .unwrap()
        .unwrap();
        assert!(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 960 460\""), "{}", &svg[..80]);
        assert!(!svg.contains("xmlns") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("k=5") && svg.contains("k=20"), "labels");
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"), "escaped label");
        assert_eq!(svg.matches("<circle").count(), 3 + 2 + 2, "points, frontier rings, legend markers");
        assert!(svg.contains("<polyline"), "the frontier line");
    }

    #[test]
    fn no_chart_without_data() {
        assert!(frontier(&[]).unwrap().is_none());
        assert!(risk_bands(&[]).unwrap().is_none());
        assert!(roc(&[RocCurve { name: "m".into(), auc: None, points: vec![] }]).unwrap().is_none());
    }

    #[test]
    fn draws_risk_bars_and_roc() {
        let bands =
            vec![RiskBand { band: "]0%, 10%]".into(), share: 0.7 }, RiskBand { band: "]10%, 20%]".into(), share: 0.3 }];
        let svg = risk_bands(&bands).unwrap().unwrap();
        assert!(svg.contains("70.0 %") && svg.contains("]10%, 20%]"), "{svg}");
        let svg = roc(&[RocCurve {
            name: "membership".into(),
            auc: Some(0.61),
            points: vec![[0.0, 0.0], [0.2, 0.4], [1.0, 1.0]],
        }])
        .unwrap()
        .unwrap();
        assert!(svg.contains("membership (AUC 0.610)") && svg.contains("random guessing"), "{svg}");
    }
}
