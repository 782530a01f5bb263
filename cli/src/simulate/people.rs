//! The people of the synthetic cohort: one person's ground truth ([`Person`]), what really happens
//! to them, and the shares and delays ([`Rates`]) their lives and their a-kasse's messages are
//! drawn with.
//!
//! Two modules read them: the cohort draws the people, and the messages say what their a-kasser
//! send about them. Neither owns them, so they stand here, below both.

use chrono::NaiveDate;

/// Shares and delays of the cohort: each field is the share of people (or of messages) it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// The share insured part-time (30 hours a week).
    pub part_time: f64,
    /// The share with 10 to 250 hours from earlier periods.
    pub with_prior_hours: f64,
    /// The share opting out of the a-kasse's part in the joint meeting.
    pub opted_out: f64,
    /// The share whose CV conversation comes 4 to 6 weeks after registering, not 1 to 3.
    pub late_cv: f64,
    /// The share of messages arriving 1 to 7 days late.
    pub late_message: f64,
    /// The share of messages sent twice (the same `id` again 0 to 3 days later).
    pub duplicate: f64,
    /// The share of job exits withdrawn because the job fell through (R13).
    pub withdrawn: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            part_time: 0.15,
            with_prior_hours: 0.25,
            opted_out: 0.10,
            late_cv: 0.15,
            late_message: 0.10,
            duplicate: 0.03,
            withdrawn: 0.03,
        }
    }
}

/// One person's ground truth. No CPR number: it lives only in the message bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub registered_on: NaiveDate,
    pub municipality: &'static str,
    pub akasse: &'static str,
    pub weekly_hours: u32,
    pub prior_hours: u32,
    pub opted_out: bool,
    /// The CV conversation's day, if it happened while the person was unemployed.
    pub cv_completed_on: Option<NaiveDate>,
    /// The day the job starts, as the job exit says; `None` for somebody still unemployed at the
    /// end of the curve.
    pub job_starts_on: Option<NaiveDate>,
    /// The day the a-kasse learns of the job.
    pub job_known_on: Option<NaiveDate>,
    /// The day the a-kasse withdraws the job exit because the job fell through (R13), if it does.
    pub job_withdrawn_on: Option<NaiveDate>,
}

impl Person {
    /// The day the person really starts work: the job start, unless the job fell through.
    pub fn starts_work_on(&self) -> Option<NaiveDate> {
        self.job_starts_on.filter(|_| self.job_withdrawn_on.is_none())
    }
}
