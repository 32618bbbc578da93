//! The daily land-time chart of a repository's page: p50 and p95 of each
//! day's label-to-landed time, in minutes, as an SVG drawn on the server
//! (plotters' SVG backend), so the page needs no JavaScript.

use landq_store::stats::Day;
use plotters::prelude::*;

/// Width and height of the chart, in pixels.
const SIZE: (u32, u32) = (720, 260);

/// The SVG of `days`' p50 and p95 land time; days without lands are gaps
/// on the x axis at zero.
pub fn land_time(days: &[Day]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        if draw(&root, days).is_err() {
            tracing::warn!("the land-time chart could not be drawn");
        }
    }
    svg
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    days: &[Day],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let minutes = |s: f64| s / 60.0;
    let top = days
        .iter()
        .map(|d| minutes(d.land_time.p95))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let last = days.len().saturating_sub(1).max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Label to landed, minutes (daily p50 and p95)",
            ("sans-serif", 15),
        )
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(0..last, 0.0..top)?;
    let label = |i: &usize| {
        days.get(*i)
            .map(|d| d.date[5..].to_owned())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&label)
        .y_labels(6)
        .draw()?;
    let series = |pick: fn(&Day) -> f64| {
        days.iter()
            .enumerate()
            .map(move |(i, d)| (i, minutes(pick(d))))
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(LineSeries::new(series(|d| d.land_time.p50), &BLUE))?
        .label("p50")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLUE));
    chart
        .draw_series(LineSeries::new(series(|d| d.land_time.p95), &RED))?
        .label("p95")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use landq_store::stats::Quantiles;

    #[test]
    fn the_chart_is_an_svg_with_both_lines() {
        let days: Vec<Day> = (1..=30)
            .map(|d| Day {
                date: format!("2026-11-{d:02}"),
                lands: 3,
                failures: 0,
                land_time: Quantiles {
                    p50: 600.0,
                    p90: 900.0,
                    p95: 1200.0,
                    max: 1500.0,
                },
            })
            .collect();
        let svg = land_time(&days);
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        assert!(svg.contains("p50") && svg.contains("p95"));
        assert!(svg.contains("11-01"), "days on the x axis");
        assert!(svg.matches("<polyline").count() >= 2, "two lines");
    }
}
