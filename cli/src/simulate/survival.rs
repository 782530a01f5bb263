//! The survival curve: what share of a cohort is still unemployed a number of weeks after
//! registering, and the job starts drawn from it.
//!
//! The curve is piecewise linear through points `(week, share)`, starting at `(0, 1.0)`. Its
//! default is calibrated to the numbers in `docs/rules.md` ("Numbers for simulations"): AE (2012)
//! found 54 % still on benefits 13 weeks after registering and 31 % after a year, and the Rebild
//! trial saw exits concentrated early. Past the last point nobody leaves: the share left there
//! never sends a job exit (afmeldt til job) within the simulation.
//!
//! A curve is given on the command line as `--survival "4:0.8,13:0.54,52:0.31"` or in a CSV file
//! with lines `week,share` (`--survival-file`; a header line and `#` comments are allowed).

use std::fmt;

/// A piecewise-linear survival curve S(week).
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCurve {
    /// `(week, share)` with weeks strictly increasing from 0 and shares non-increasing from 1.0.
    points: Vec<(f64, f64)>,
}

/// A curve that cannot be used, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("survival curve: {0}")]
pub struct CurveError(String);

impl Default for SurvivalCurve {
    /// About 54 % left at 13 weeks and 31 % at 52 weeks, most exits in the first two months.
    fn default() -> Self {
        SurvivalCurve::new(vec![(4.0, 0.80), (8.0, 0.64), (13.0, 0.54), (26.0, 0.42), (52.0, 0.31)])
            .expect("the default curve is valid")
    }
}

impl SurvivalCurve {
    /// A curve through `(0, 1.0)` and `points`. A point at week 0 must have share 1.0.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, CurveError> {
        let mut all = vec![(0.0, 1.0)];
        for (week, share) in points {
            if !(week.is_finite() && share.is_finite()) {
                return Err(CurveError(format!("{week}:{share} is not a number")));
            }
            if week == 0.0 && share == 1.0 {
                continue;
            }
            if !(0.0..=1.0).contains(&share) {
                return Err(CurveError(format!("share {share} at week {week} is not between 0 and 1")));
            }
            let &(last_week, last_share) = all.last().expect("starts with (0, 1)");
            if week <= last_week {
                return Err(CurveError(format!("week {week} does not come after week {last_week}")));
            }
            if share > last_share {
                return Err(CurveError(format!(
                    "share {share} at week {week} is above {last_share} at week {last_week}: nobody becomes unemployed again"
                )));
            }
            all.push((week, share));
        }
        if all.len() < 2 {
            return Err(CurveError("needs at least one point after week 0".into()));
        }
        Ok(SurvivalCurve { points: all })
    }

    /// Parses `"4:0.8,13:0.54,52:0.31"`.
    pub fn parse_option(text: &str) -> Result<Self, CurveError> {
        let points =
            text.split(',').filter(|p| !p.trim().is_empty()).map(|p| point(p, ':')).collect::<Result<Vec<_>, _>>()?;
        SurvivalCurve::new(points)
    }

    /// Parses CSV text with lines `week,share`; a non-numeric first line is a header.
    pub fn parse_csv(text: &str) -> Result<Self, CurveError> {
        let mut points = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            match point(line, ',') {
                Ok(p) => points.push(p),
                Err(_) if points.is_empty() && !line.starts_with(|c: char| c.is_ascii_digit()) => {}
                Err(CurveError(e)) => return Err(CurveError(format!("line {}: {e}", index + 1))),
            }
        }
        SurvivalCurve::new(points)
    }

    /// S(week): the share still unemployed `week` weeks after registering.
    pub fn share_at(&self, week: f64) -> f64 {
        if week <= 0.0 {
            return 1.0;
        }
        for pair in self.points.windows(2) {
            let ((w0, s0), (w1, s1)) = (pair[0], pair[1]);
            if week <= w1 {
                return s0 + (s1 - s0) * (week - w0) / (w1 - w0);
            }
        }
        self.final_share()
    }

    /// The share that never leaves within the curve.
    pub fn final_share(&self) -> f64 {
        self.points.last().expect("at least two points").1
    }

    /// The week of the job start for a uniform draw `u` in `[0, 1)` (inverse transform sampling),
    /// or `None` when the draw falls in the share that stays unemployed.
    pub fn exit_week(&self, u: f64) -> Option<f64> {
        if u < self.final_share() {
            return None;
        }
        // S falls from 1 to the final share: find the segment where S crosses u.
        for pair in self.points.windows(2) {
            let ((w0, s0), (w1, s1)) = (pair[0], pair[1]);
            if u >= s1 && s0 > s1 {
                return Some(w0 + (s0 - u) / (s0 - s1) * (w1 - w0));
            }
        }
        None
    }
}

impl fmt::Display for SurvivalCurve {
    /// In the `--survival` syntax, without the implicit `0:1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let points: Vec<String> = self.points[1..].iter().map(|(w, s)| format!("{w}:{s}")).collect();
        f.write_str(&points.join(","))
    }
}

fn point(text: &str, separator: char) -> Result<(f64, f64), CurveError> {
    let bad = || CurveError(format!("`{}` is not week{separator}share, e.g. 13{separator}0.54", text.trim()));
    let (week, share) = text.split_once(separator).ok_or_else(bad)?;
    let week: f64 = week.trim().parse().map_err(|_| bad())?;
    let share: f64 = share.trim().parse().map_err(|_| bad())?;
    Ok((week, share))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_curve_matches_the_numbers_for_simulations() {
        let curve = SurvivalCurve::default();
        assert!((curve.share_at(13.0) - 0.54).abs() < 1e-9);
        assert!((curve.share_at(52.0) - 0.31).abs() < 1e-9);
        assert!((curve.share_at(2.0) - 0.90).abs() < 1e-9);
        assert_eq!(curve.share_at(80.0), 0.31);
    }

    #[test]
    fn exit_week_inverts_the_curve() {
        let curve = SurvivalCurve::default();
        assert_eq!(curve.exit_week(0.2), None);
        assert!((curve.exit_week(0.54).unwrap() - 13.0).abs() < 1e-9);
        assert!((curve.exit_week(0.9).unwrap() - 2.0).abs() < 1e-9);
        for u in [0.31, 0.4, 0.6, 0.75, 0.99] {
            let week = curve.exit_week(u).unwrap();
            assert!((curve.share_at(week) - u).abs() < 1e-9, "u {u} week {week}");
        }
    }

    #[test]
    fn option_and_csv_syntax() {
        let a = SurvivalCurve::parse_option("4:0.8, 13:0.54,52:0.31").unwrap();
        let b = SurvivalCurve::parse_csv("week,share\n4,0.8\n# comment\n13,0.54\n52,0.31\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "4:0.8,13:0.54,52:0.31");
    }

    #[test]
    fn bad_curves_are_refused() {
        assert!(SurvivalCurve::parse_option("13:0.54,4:0.8").is_err());
        assert!(SurvivalCurve::parse_option("4:0.5,13:0.6").is_err());
        assert!(SurvivalCurve::parse_option("4:1.5").is_err());
        assert!(SurvivalCurve::parse_option("4-0.5").is_err());
        assert!(SurvivalCurve::parse_option("").is_err());
        assert!(SurvivalCurve::parse_csv("4,0.8\nx,y\n").is_err());
    }
}
